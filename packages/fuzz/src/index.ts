// Public API of @smelt/fuzz: generate a case, run it differentially, shrink a mismatch, keep it.

export { generateCase, type FuzzCase, type GenerateOptions } from './generate.ts';
export { checkCase, checkTarget, describeMismatch, type Mismatch } from './differential.ts';
export { compareTensors, closeEnough, RTOL } from './compare.ts';
export { TARGET_NAMES, type Target, type TargetName, isTargetName, target, targetUnavailable } from './targets.ts';
export { type ConcreteCase, checkConcrete, concreteAt } from './concrete.ts';
export { type Check, shrink } from './shrink.ts';
export { keepMismatch } from './keep.ts';
export { readCase, writeCase } from './case-file.ts';
export { caseSeed, fuzz, type FuzzOptions, type FuzzReport } from './run.ts';
export { OP_GENS } from './op-gens.ts';
export { PATTERN_GENS } from './patterns.ts';
