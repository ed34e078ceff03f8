/**
 * The rule table: ONNX op type (default domain) -> its rule. Adding an op means adding its rule to one family
 * file and a test; nothing else changes.
 */
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { linearRules } from './linear.js';
import { normalizationRules } from './normalization.js';
import { poolRules } from './pool.js';
import { reduceRules } from './reduce.js';
import { shapeRules } from './shape.js';
import { softmaxRules } from './softmax.js';
import type { RuleTable } from './types.js';

export const RULES: RuleTable = {
  ...elementwiseRules,
  ...linearRules,
  ...shapeRules,
  ...softmaxRules,
  ...reduceRules,
  ...convRules,
  ...poolRules,
  ...normalizationRules,
};

/** The op types the compiler can differentiate (documented in the README and the upload errors). */
export const DIFFERENTIABLE_OPS = Object.entries(RULES).filter(([, r]) => r.vjp).map(([op]) => op).sort();
export const SUPPORTED_OPS = Object.keys(RULES).sort();
