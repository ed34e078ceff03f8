import { openApiDocument } from '../../../functions/api/routes/openapi.ts';
export const doc = openApiDocument();
