import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { DatasetColumn } from '../records';

@Entity({ name: 'datasets' })
export class DatasetEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') role!: string;
  @Column('text', { name: 'label_column' }) labelColumn!: string;
  @Column('text', { name: 'id_column', nullable: true }) idColumn!: string | null;
  @Column('char', { length: 64 }) sha256!: string;
  @Column('bigint', { name: 'size_bytes', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  sizeBytes!: number;
  @Column('int') rows!: number;
  @Column('jsonb') columns!: DatasetColumn[];
  @Column('uuid', { name: 'key_id', nullable: true }) keyId!: string | null;
  @Column('char', { name: 'blob_sha256', length: 64, nullable: true }) blobSha256!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
