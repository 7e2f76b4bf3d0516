// @smelt/ir/node: what needs Node's file system, apart from the rest of the IR so that @smelt/ir
// itself runs in a browser. Safetensors files: reading (strict, zero-copy where aligned) and atomic
// writing; the same bytes in memory are parseSafetensors/deserializeSafetensors/serializeSafetensors.

export { readSafetensors, readSafetensorsEntries, writeSafetensors } from './safetensors-file.ts';
