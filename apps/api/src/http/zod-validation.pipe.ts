import { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { ServiceError, ServiceErrorCode } from './service-error';

/** Validates a body or query with a zod schema (the same schema feeds the OpenAPI document). */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new ServiceError(ServiceErrorCode.ValidationFailed, `invalid request: ${problems.join('; ')}`, { problems });
  }
}

/** JSON schema for @ApiBody / @ApiQuery from a zod schema. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}
