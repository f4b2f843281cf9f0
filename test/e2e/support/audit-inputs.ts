// Registers a model version and uploads an audit's datasets as the admin: the set-up shared by the service
// suites that test what happens after commissioning (the upload paths themselves are tested in service-flow).
import type { RunningService } from './service-harness';
import { createModel, uploadDataset, uploadModelVersion } from './service-requests';

export interface UploadedAuditInputs {
  versionId: string;
  membersId: string;
  nonMembersId: string;
  populationId?: string;
}

export async function uploadAuditInputs(
  svc: RunningService,
  model: Buffer,
  csv: { members: string; nonMembers: string; population?: string; idColumn?: string },
): Promise<UploadedAuditInputs> {
  const version = await uploadModelVersion(svc, await createModel(svc, 'digits'), model);
  const upload = (name: string, role: string, body: string) =>
    uploadDataset(svc, { name, role, csv: body, idColumn: csv.idColumn });
  return {
    versionId: version.id,
    membersId: await upload('members', 'members', csv.members),
    nonMembersId: await upload('nonmembers', 'non-members', csv.nonMembers),
    ...(csv.population ? { populationId: await upload('population', 'population', csv.population) } : {}),
  };
}
