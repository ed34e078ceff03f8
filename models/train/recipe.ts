/** How one model is trained: what models/manifest.json records under `training`, plus identity and shape. */
export interface Recipe {
  id: string;
  title: string;
  architecture: string;
  epochs: number;
  batchSize: number;
  optimizer: 'adam';
  learningRate: number;
  /** Seeds the initializers, the shuffling and the dropout masks. */
  seed: number;
}
