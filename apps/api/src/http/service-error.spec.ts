import { foundOrNotFound, ServiceErrorCode } from './service-error';

describe('foundOrNotFound', () => {
  it('returns the record when there is one', () => {
    const record = { id: 'd1' };
    expect(foundOrNotFound(record, 'dataset d1')).toBe(record);
  });
  it('refuses a missing record with NotFound naming it', () => {
    for (const missing of [null, undefined]) {
      expect(() => foundOrNotFound(missing, 'model version v1')).toThrow(
        expect.objectContaining({
          name: 'ServiceError',
          code: ServiceErrorCode.NotFound,
          message: 'model version v1 not found',
        }),
      );
    }
  });
});
