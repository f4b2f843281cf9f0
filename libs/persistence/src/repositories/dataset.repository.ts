import type { DatasetRecord } from '../records';

export type NewDataset = Omit<DatasetRecord, 'id' | 'createdAt' | 'keyId' | 'blobSha256'> &
  Partial<Pick<DatasetRecord, 'keyId' | 'blobSha256'>>;

export abstract class DatasetRepository {
  abstract create(input: NewDataset): Promise<DatasetRecord>;
  abstract findById(id: string): Promise<DatasetRecord | null>;
  abstract list(): Promise<DatasetRecord[]>;
}
