"""Write packages/onnx/src/onnx-proto.ts: the official onnx.proto (from Debian's python3-onnx) as a string.

Run with /usr/bin/python3 scripts/embed_onnx_proto.py. Comments are stripped; the schema is unchanged.
"""
import json
import os
import re

SRC = "/usr/lib/python3/dist-packages/onnx/onnx.proto"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "onnx", "src", "onnx-proto.ts")


def main():
    with open(SRC) as f:
        lines = [re.sub(r"//.*$", "", line).rstrip() for line in f.read().split("\n")]
    body = "\n".join(line for line in lines if line.strip())
    header = ("// The official ONNX schema (onnx/onnx.proto of ONNX 1.12.0, IR version 8, Apache-2.0), comments\n"
              "// stripped, as text: protobufjs parses it at first use, so decoding needs no file system (browser-safe)\n"
              "// and no hand-written wire format. Regenerate from Debian's python3-onnx: scripts/embed_onnx_proto.py.\n\n")
    with open(OUT, "w") as f:
        f.write(header + "export const ONNX_PROTO = " + json.dumps(body) + ";\n")


if __name__ == "__main__":
    main()
