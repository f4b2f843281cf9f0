import { TenantDb, type TenantScopedRepository } from '../tenancy/tenant-db';
import { DatasetEntity } from '../entities';
import type { DatasetRecord, DatasetRole } from '../records';
import { DatasetRepository, NewDataset } from '../repositories/dataset.repository';

export class TypeOrmDatasetRepository extends DatasetRepository {
  private readonly datasets: TenantScopedRepository<DatasetEntity>;
  constructor(db: TenantDb) {
    super();
    this.datasets = db.repository(DatasetEntity);
  }

  async create(input: NewDataset): Promise<DatasetRecord> {
    const saved = await this.datasets.save(this.datasets.create({ ...input, columns: [...input.columns] }));
    return toRecord(saved);
  }

  async findById(id: string): Promise<DatasetRecord | null> {
    const found = await this.datasets.findOne({ where: { id } });
    return found ? toRecord(found) : null;
  }

  async list(): Promise<DatasetRecord[]> {
    return (await this.datasets.find({ order: { createdAt: 'ASC' } })).map(toRecord);
  }
}

function toRecord(e: DatasetEntity): DatasetRecord {
  return { ...e, role: e.role as DatasetRole };
}
