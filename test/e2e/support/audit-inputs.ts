// Registers a model version and uploads an audit's datasets as the admin: the set-up shared by the service
// suites that test what happens after commissioning (the upload paths themselves are tested in service-flow).
import request from 'supertest';
import type { RunningService } from './service-harness';

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
  const key = svc.adminKey;
  const m = await request(svc.baseUrl).post('/models').set('x-api-key', key).send({ name: 'digits' }).expect(201);
  const v = await request(svc.baseUrl)
    .post(`/models/${m.body.id}/versions`)
    .set('x-api-key', key)
    .set('content-type', 'application/octet-stream')
    .send(model)
    .expect(201);
  const upload = async (name: string, role: string, body: string) =>
    (
      await request(svc.baseUrl)
        .post('/datasets')
        .query({ name, role, labelColumn: 'digit', ...(csv.idColumn ? { idColumn: csv.idColumn } : {}) })
        .set('x-api-key', key)
        .set('content-type', 'text/csv')
        .send(body)
        .expect(201)
    ).body.id as string;
  return {
    versionId: v.body.id,
    membersId: await upload('members', 'members', csv.members),
    nonMembersId: await upload('nonmembers', 'non-members', csv.nonMembers),
    ...(csv.population ? { populationId: await upload('population', 'population', csv.population) } : {}),
  };
}
