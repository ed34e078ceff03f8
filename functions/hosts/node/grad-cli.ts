/**
 * npm run -s grad -- MODEL.onnx --out OUT.onnx [--target logit|logprob|prob|TENSOR] [--wrt TENSOR]... [--input NAME] [--output NAME]
 *
 * Writes the gradient program of an ONNX classifier: inputs are the model's input and `objective_weights`
 * ([1 or N, units]); outputs are the model's output, its logits, `objective` and `grad`, and for each --wrt tensor
 * its value and `grad_wrt_<tensor>`. Prints a summary (or the
 * reason the model cannot be differentiated) and exits non-zero on failure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CompileError, ModelError, compileGradient, encodeProgram } from '../../compiler/index.js';
import { OnnxFormatError } from '../../onnx/model.js';

const usage = 'usage: npm run -s grad -- MODEL.onnx --out OUT.onnx [--target logit|logprob|prob|TENSOR] [--wrt TENSOR]... [--input NAME] [--output NAME]';

function main(): number {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        target: { type: 'string', short: 't', default: 'logit' },
        wrt: { type: 'string', multiple: true },
        input: { type: 'string' },
        output: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help || positionals.length !== 1 || !values.out) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const file = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    console.error(`cannot read ${file}: ${(e as Error).message}`);
    return 1;
  }
  try {
    const program = compileGradient(bytes, {
      target: values.target!,
      ...(values.wrt ? { wrt: values.wrt } : {}),
      ...(values.input ? { input: values.input } : {}),
      ...(values.output ? { output: values.output } : {}),
    });
    writeFileSync(values.out, encodeProgram(program));
    const g = program.model.graph;
    console.log(`${file}: ${Object.entries(program.opTypes).map(([k, v]) => `${k} x${v}`).join(', ')}`);
    console.log(`  input   ${program.input.name} [${program.input.shape.join(', ')}]`);
    console.log(`  output  ${program.outputs.model} (${program.outputKind}); logits: ${program.outputs.logits}`);
    console.log(`  target  ${program.target.kind}${program.target.name ? ` ${program.target.name}` : ''}, ${program.units} units`);
    for (const w of program.wrt ?? []) console.log(`  wrt     ${w.tensor} [${(w.shape ?? []).join(', ')}]: gradient in ${w.grad}`);
    console.log(`  wrote ${values.out}: ${g.nodes.length} nodes, opset 17; inputs ${g.inputs.map((i) => i.name).join(', ')}; outputs ${g.outputs.map((o) => o.name).join(', ')}`);
    console.log(`  cost    ~${(program.forwardFlops / 1e6).toFixed(2)} MFLOP forward per sample, ~3x for a gradient`);
    return 0;
  } catch (e) {
    if (e instanceof CompileError || e instanceof ModelError || e instanceof OnnxFormatError) {
      console.error(`${file}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main();
