import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'reference_models' })
export class ReferenceModelEntity {
  @PrimaryColumn('text', { name: 'cache_key' }) cacheKey!: string;
  @Column('bytea') weights!: Buffer;
  @Column('int', { name: 'size_bytes' }) sizeBytes!: number;
  @Column('uuid', { name: 'key_id', nullable: true }) keyId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
