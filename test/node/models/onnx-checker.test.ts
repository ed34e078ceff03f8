/**
 * The official ONNX checker (Debian's python3-onnx, `onnx.checker.check_model(model, full_check=True)`, which
 * includes strict shape inference) accepts both models and both image priors.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, MODEL_IDS } from './paths.js';

const MISSING = 'python3-onnx is not installed (apt-get install -y python3-onnx); CI installs it';

/** A Python interpreter that can `import onnx`: the one on PATH, or Debian's (PATH may point at another Python). */
function pythonWithOnnx(): string | undefined {
  const candidates = [process.env['PYTHON'], 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return undefined;
}

const CHECK = `
import sys, onnx
for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print("ok", path)
`;

describe('onnx.checker', () => {
  it('check_model(full_check=True) passes on both models and both priors', (ctx) => {
    const python = pythonWithOnnx();
    if (!python) {
      if (process.env['CI'] === 'true') throw new Error(`${MISSING}: the ONNX checker test cannot run`);
      console.warn(`skipping the ONNX checker test: ${MISSING}`);
      ctx.skip(MISSING);
      return;
    }
    const files = [...MODEL_IDS.map((id) => `${MODELS_DIR}${id}.onnx`), ...['fashion', 'digits'].map((id) => `${MODELS_DIR}priors/${id}.onnx`)];
    const r = spawnSync(python, ['-c', CHECK, ...files], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(files.map((f) => `ok ${f}`));
  });
});
