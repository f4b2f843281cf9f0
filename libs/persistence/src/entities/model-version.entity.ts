import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ModelSignature } from '../../../engine/src/types';
import type { EndpointDescription, ModelVersionKind, ModelVersionPreprocessing } from '../records';

@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'model_id' }) modelId!: string;
  @Column('int') version!: number;
  @Column('char', { length: 64 }) sha256!: string;
  // bigint comes back from pg as a string; model files stay far below 2^53.
  @Column('bigint', { name: 'size_bytes', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  sizeBytes!: number;
  @Column('jsonb') signature!: ModelSignature;
  @Column('int', { name: 'num_classes', nullable: true }) numClasses!: number | null;
  @Column('jsonb', { name: 'class_names', nullable: true }) classNames!: string[] | null;
  @Column('jsonb', { nullable: true }) preprocessing!: ModelVersionPreprocessing | null;
  @Column('text', { default: 'onnx' }) kind!: ModelVersionKind;
  @Column('jsonb', { nullable: true }) endpoint!: EndpointDescription | null;
  /** AES-256-GCM ciphertext (endpoint-secret-box.ts): read only by the worker, never part of a record. */
  @Column('text', { name: 'endpoint_secrets', nullable: true, select: false }) endpointSecrets!: string | null;
  @Column('text', { name: 'ownership_token', nullable: true }) ownershipToken!: string | null;
  @Column('timestamptz', { name: 'ownership_verified_at', nullable: true }) ownershipVerifiedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
