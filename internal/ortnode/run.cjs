'use strict';
// Runs an ONNX model with onnxruntime-node for internal/ortnode.
//
//   node run.cjs ORT_DIR JOB.json
//
// JOB: {model, levels: ["disabled", "all"], threads, repeat,
//       runs: [{input, dims, output}]}. For each graph optimization level the
// model is loaded once and every run's input (raw little-endian float32) is
// fed to the model's first input, repeat times; the first output of the last
// repetition is written raw to `${output}.${level}`. Prints one JSON object:
// the sessions' input/output metadata, load and run times in milliseconds.
const fs = require('node:fs');
const path = require('node:path');

const ort = require(path.join(process.argv[2], 'node_modules', 'onnxruntime-node'));

function readFloats(file) {
  const buf = fs.readFileSync(file);
  // Copy into a fresh ArrayBuffer: a Buffer may start at any byte offset.
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const inputs = job.runs.map((r) => new ort.Tensor('float32', readFloats(r.input), r.dims));
  const result = { sessions: [] };
  for (const level of job.levels) {
    const opts = { graphOptimizationLevel: level, executionProviders: ['cpu'] };
    if (job.threads > 0) opts.intraOpNumThreads = job.threads;
    let t0 = process.hrtime.bigint();
    const sess = await ort.InferenceSession.create(job.model, opts);
    const s = { level, loadMs: ms(t0), inputs: sess.inputMetadata, outputs: sess.outputMetadata, runs: [] };
    for (const [i, r] of job.runs.entries()) {
      let out;
      const times = [];
      for (let k = 0; k < Math.max(1, job.repeat || 0); k++) {
        t0 = process.hrtime.bigint();
        out = (await sess.run({ [sess.inputNames[0]]: inputs[i] }))[sess.outputNames[0]];
        times.push(ms(t0));
      }
      const file = `${r.output}.${level}`;
      fs.writeFileSync(file, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
      s.runs.push({ output: file, dims: out.dims, ms: times });
    }
    await sess.release();
    result.sessions.push(s);
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((e) => {
  process.stderr.write(`${(e && e.stack) || e}\n`);
  process.exit(1);
});
