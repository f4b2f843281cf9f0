import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'findings' })
export class FindingEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'audit_id' }) auditId!: string;
  @Column('text') attack!: string;
  @Column('text') severity!: string;
  @Column('text') reference!: string;
  @Column('text') summary!: string;
  @Column('jsonb') metrics!: Record<string, unknown>;
  @Column('jsonb', { name: 'most_exposed' }) mostExposed!: Array<{ rowId: string; score: number; rank: number }>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
