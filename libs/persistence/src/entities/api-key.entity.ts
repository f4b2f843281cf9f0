import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') role!: string;
  @Column('text', { unique: true }) prefix!: string;
  @Column('text') hash!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt!: Date | null;
  @Column('uuid', { name: 'rotated_to', nullable: true }) rotatedTo!: string | null;
  // Filled by the database: tenant_id defaults to the transaction's tenant (RLS checks it), installation_admin to false.
  @Column({ type: 'uuid', name: 'tenant_id', insert: false, update: false }) tenantId!: string;
  @Column({ type: 'boolean', name: 'installation_admin', insert: false, update: false }) installationAdmin!: boolean;
}
