/**
 * Saving and loading tfjs layers models as files (model.json + weights.bin), the format `tf.loadLayersModel`
 * reads over HTTP. tfjs has no file system handler outside tfjs-node, so both directions go through custom handlers.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const WEIGHTS_FILE = 'weights.bin';

export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    if (artifacts.modelTopology === undefined || artifacts.weightSpecs === undefined || artifacts.weightData === undefined) {
      throw new Error('tfjs produced incomplete model artifacts');
    }
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
    const json: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? '',
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
    };
    if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), `${JSON.stringify(json)}\n`);
    writeFileSync(join(dir, WEIGHTS_FILE), weights);
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
}

/** Loads a model saved by `saveLayersModel` (on whatever tfjs backend is active). */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const manifest = json.weightsManifest;
  const group = manifest[0];
  if (manifest.length !== 1 || !group || group.paths.length !== 1) throw new Error(`${dir}/model.json: expected one weights file`);
  const bytes = readFileSync(join(dir, group.paths[0]!));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: group.weights,
    weightData,
  };
  return tf.loadLayersModel({ load: async () => artifacts });
}
