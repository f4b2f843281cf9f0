import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { AuditReport } from '../../../engine/src/types';
import type {
  AuditEstimate,
  ReferenceActivation,
  ReferenceTraining,
  DuplicatePolicy,
  DuplicateRecordCounts,
  AuditTrigger,
  AuditAttackOptions,
} from '../records';

@Entity({ name: 'audits' })
export class AuditEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'model_version_id' }) modelVersionId!: string;
  @Column('uuid', { name: 'members_dataset_id' }) membersDatasetId!: string;
  @Column('uuid', { name: 'non_members_dataset_id' }) nonMembersDatasetId!: string;
  @Column('uuid', { name: 'population_dataset_id', nullable: true }) populationDatasetId!: string | null;
  @Column('jsonb', { nullable: true }) attacks!: string[] | null;
  @Column('int') seed!: number;
  @Column('int', { name: 'reference_models', nullable: true }) referenceModels!: number | null;
  @Column('text', { name: 'group_column', nullable: true }) groupColumn!: string | null;
  @Column('jsonb', { name: 'reference_training', nullable: true }) referenceTraining!: ReferenceTraining | null;
  @Column('jsonb', { nullable: true }) classes!: string[] | null;
  @Column('text', { name: 'output_policy', nullable: true }) outputPolicy!: string | null;
  @Column('jsonb', { name: 'reference_hidden', nullable: true }) referenceHidden!: number[] | null;
  @Column('text', { name: 'reference_activation', nullable: true })
  referenceActivation!: ReferenceActivation | null;
  @Column('text', { nullable: true }) duplicates!: DuplicatePolicy | null;
  @Column('integer', { name: 'target_train_size', nullable: true }) targetTrainSize!: number | null;
  @Column('jsonb', { name: 'duplicate_records', nullable: true }) duplicateRecords!: DuplicateRecordCounts | null;
  @Column('jsonb', { nullable: true }) estimate!: AuditEstimate | null;
  @Column('jsonb', { name: 'reference_model_keys', nullable: true }) referenceModelKeys!: string[] | null;
  @Column('int', { name: 'query_budget', nullable: true }) queryBudget!: number | null;
  @Column('int', { name: 'queries_used', default: 0 }) queriesUsed!: number;
  @Column('jsonb', { name: 'attack_options', nullable: true }) attackOptions!: AuditAttackOptions | null;
  @Column('text') status!: string;
  @Column('int') progress!: number;
  @Column('text', { nullable: true }) phase!: string | null;
  @Column('text', { name: 'failure_code', nullable: true }) failureCode!: string | null;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason!: string | null;
  @Column('int', { name: 'risk_score', nullable: true }) riskScore!: number | null;
  @Column('text', { name: 'risk_rating', nullable: true }) riskRating!: string | null;
  @Column('jsonb', { nullable: true }) report!: AuditReport | null;
  @Column('char', { name: 'report_sha256', length: 64, nullable: true }) reportSha256!: string | null;
  @Column('text', { default: 'manual' }) trigger!: AuditTrigger;
  @Column('real', { name: 'max_rise', nullable: true }) maxRise!: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
