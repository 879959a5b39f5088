import { Pool } from 'pg';
import { buildOpenApi, documentedRoutes, routesOf } from '../../src/api/openapi';
import { identityModule } from '../../src/identity/identity.routes';
import { createTokenService } from '../../src/identity/tokens';
import { testApp } from '../api/app-fixture';

// Never connects: building the module and its routes issues no query.
const pool = new Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
afterAll(() => pool.end());
const identity = identityModule({ pool, tokens: createTokenService('s'.repeat(32)) });

describe('identity OpenAPI', () => {
  it('documents exactly the routes it registers', () => {
    const app = testApp({ modules: [identity] });
    const ours = (routes: string[]) => routes.filter((r) => /\/api\/v1\/(auth|users)\b/.test(r));
    const documented = ours(documentedRoutes(buildOpenApi([identity])));
    expect(ours(routesOf(app))).toEqual(documented);
    expect(documented).toEqual([
      'GET /api/v1/users/me',
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/refresh',
      'POST /api/v1/auth/register',
      'POST /api/v1/users/me/addresses',
    ]);
  });

  it('refers only to schemas and responses the document defines', () => {
    const document = buildOpenApi([identity]);
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, kind, name] of refs) {
      const section = document.components[kind as 'schemas' | 'responses'];
      expect({ ref: `${kind}/${name}`, defined: name !== undefined && name in section }).toEqual({
        ref: `${kind}/${name}`,
        defined: true,
      });
    }
  });

  it('marks the profile routes as needing a bearer token, and only them', () => {
    const { paths } = buildOpenApi([identity]);
    const secured = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => (op as { security?: unknown }).security !== undefined)
        .map(([method]) => `${method} ${path}`),
    );
    expect(secured.sort()).toEqual(['get /api/v1/users/me', 'post /api/v1/users/me/addresses']);
  });
});
