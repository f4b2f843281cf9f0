// Model-extraction benchmark (issue 7, "Strength and speed"): prints figures, asserts nothing.
// - Knockoff Nets (random and adaptive natural queries, soft labels) against a 16-feature, 26-class MLP trained on
//   letter, fidelity at 500, 2000 and 10000 queries beside the anchor of IBM ART's KnockoffNets on a comparable
//   MLP (0.82 / 0.92 / 0.96, issue 7).
// - Copycat (hard labels) and Jacobian augmentation (150 seed rows) on the same target.
// - Equation-solving against a softmax-linear letter model: queries to fidelity 1.0 against d + 1.
// - Wall time and queries per second (attack queries / wall time, surrogate training included; and the target's
//   raw answering rate), locally and against a local KServe v2 server (bench/kserve-server.ts) through HttpTarget.
// Run: npm run bench:extraction   (BENCH_BUDGET=<n> to change the 10000-query budget; BENCH_ONLY=adaptive,kserve,...
// to run some parts only: random, adaptive, copycat, jacobian, equation, kserve)
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CopycatAttack } from '../libs/engine/src/extraction/copycat-attack';
import { EquationSolvingAttack } from '../libs/engine/src/extraction/equation-solving-attack';
import type { ExtractionAttack } from '../libs/engine/src/extraction/extraction-attack';
import { letterSplit, loadTarget, trainedTarget } from '../libs/engine/src/extraction/extraction-fixtures';
import { JacobianAttack } from '../libs/engine/src/extraction/jacobian-attack';
import { KnockoffAttack } from '../libs/engine/src/extraction/knockoff-attack';
import { runExtractionAttacks } from '../libs/engine/src/extraction/run-extraction';
import { surrogateArchitecture } from '../libs/engine/src/extraction/surrogate';
import type { TargetModel } from '../libs/engine/src/types';
import { HttpTarget } from '../libs/engine/src/targets/http/http-target';
import { resolveOutboundPolicy } from '../libs/engine/src/targets/http/outbound-policy';
import { parseRemoteTargetSpec } from '../libs/engine/src/targets/http/remote-target-spec';
import { benchDataDir } from './datasets';
import { startBenchKserveServer } from './kserve-server';

const ART_ANCHOR: Record<number, number> = { 500: 0.82, 2000: 0.92, 10000: 0.96 };

async function main(): Promise<void> {
  const budget = Number(process.env.BENCH_BUDGET ?? 10_000);
  // BENCH_ONLY=random,adaptive,copycat,jacobian,equation,kserve runs those parts only (default: all).
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const part = (name: string) => only === undefined || only.includes(name);
  const split = await letterSplit(path.join(benchDataDir(), 'letter.csv'), 6000, 13_000);
  console.log(
    `letter: target trained on ${split.train.nRows} rows; held-out ${split.members.nRows} members + ${split.nonMembers.nRows} non-members; population ${split.population.nRows} rows`,
  );
  const mlp = await trainedTarget(split.train, [64], 40);
  const linear = await trainedTarget(split.train, [], 20);

  const run = async (
    label: string,
    bytes: Uint8Array,
    attack: ExtractionAttack,
    queryBudget: number,
    remote?: TargetModel,
  ) => {
    const target: TargetModel = remote ?? (await loadTarget(bytes));
    try {
      const { architecture, source } = surrogateArchitecture(undefined, bytes, 16, 26);
      const memberOutputs = await target.predict(split.members.features, split.members.nRows);
      const nonMemberOutputs = await target.predict(split.nonMembers.features, split.nonMembers.nRows);
      const start = performance.now();
      const [finding] = await runExtractionAttacks({
        attacks: [attack],
        target,
        members: split.members,
        nonMembers: split.nonMembers,
        population: split.population,
        memberOutputs,
        nonMemberOutputs,
        architecture,
        architectureSource: source,
        seed: 1,
        queryBudget,
      });
      const seconds = (performance.now() - start) / 1000;
      const m = finding!.metrics;
      console.log(`\n${label}`);
      for (const p of m.curve) {
        const anchor = ART_ANCHOR[p.queries];
        console.log(
          `  ${String(p.queries).padStart(6)} queries  fidelity ${p.fidelity.toFixed(3)} [${p.fidelityInterval.lower.toFixed(3)}, ${p.fidelityInterval.upper.toFixed(3)}]` +
            (anchor !== undefined && attack.id === 'extraction.knockoff'
              ? `   ART KnockoffNets ${anchor.toFixed(2)}`
              : ''),
        );
      }
      console.log(
        `  final: fidelity ${m.fidelity.toFixed(3)}, uniform ${m.fidelityUniform.toFixed(3)}, accuracy ${m.surrogateAccuracy.toFixed(3)}; ` +
          `queries to 0.9/0.95/0.99: ${m.queriesTo['0.9']}/${m.queriesTo['0.95']}/${m.queriesTo['0.99']}; ` +
          `${m.queriesUsed} queries in ${seconds.toFixed(1)} s (${(m.queriesUsed / seconds).toFixed(0)} queries/s incl. training); exposure ${finding!.exposure.score} (${finding!.severity})`,
      );
    } finally {
      if (!remote) await target.dispose();
    }
  };

  if (part('random'))
    await run(
      'extraction.knockoff (random natural queries, soft labels)',
      mlp.bytes,
      new KnockoffAttack('random'),
      budget,
    );
  if (part('adaptive'))
    await run(
      'extraction.knockoff (adaptive: gradient bandit over k-means groups)',
      mlp.bytes,
      new KnockoffAttack('adaptive'),
      budget,
    );
  if (part('copycat')) await run('extraction.copycat (hard labels)', mlp.bytes, new CopycatAttack(), budget);
  if (part('jacobian'))
    await run(
      'extraction.jacobian (150 seed rows, Jacobian augmentation)',
      mlp.bytes,
      new JacobianAttack(),
      Math.min(budget, 5000),
    );
  if (part('equation'))
    await run(
      'extraction.equation-solving on a softmax-linear letter model (d + 1 = 17)',
      linear.bytes,
      new EquationSolvingAttack(),
      200,
    );

  // The target's raw answering rate, for scale.
  const target = await loadTarget(mlp.bytes);
  const start = performance.now();
  await target.predict(split.population.features, split.population.nRows);
  const seconds = (performance.now() - start) / 1000;
  console.log(`\nlocal ONNX target answers ${(split.population.nRows / seconds).toFixed(0)} rows/s`);
  await target.dispose();

  // The same knockoff run against a local KServe v2 server serving the letter MLP, through the engine's HttpTarget
  // (guarded outbound client, loopback allow-listed, per-audit cache, batching): every query crosses HTTP.
  if (!part('kserve')) return;
  const served = await loadTarget(mlp.bytes);
  const server = await startBenchKserveServer(served);
  try {
    const open = () =>
      HttpTarget.open({
        spec: parseRemoteTargetSpec(
          { url: server.url, protocol: 'kserve-v2', modelName: server.modelName, numClasses: 26 },
          'bench target',
        ),
        nFeatures: 16,
        numClasses: 26,
        featureNames: split.members.featureNames,
        policy: resolveOutboundPolicy({ allowHosts: ['127.0.0.1'], queryBudget: 1_000_000 }),
      });
    const remote = await open();
    try {
      await run(
        `extraction.knockoff (random) against a local KServe v2 server (${server.url}, HttpTarget)`,
        mlp.bytes,
        new KnockoffAttack('random'),
        budget,
        remote,
      );
      console.log(
        `  the server received ${server.rowsReceived} rows in ${remote.requestsSent} requests (held-out, uniform and attack queries)`,
      );
    } finally {
      await remote.dispose();
    }
    // The raw answering rate over HTTP (fresh target: nothing cached), for scale beside the local one.
    const fresh = await open();
    try {
      const t0 = performance.now();
      await fresh.predict(split.population.features, split.population.nRows);
      const s = (performance.now() - t0) / 1000;
      console.log(
        `KServe v2 target over loopback HTTP answers ${(split.population.nRows / s).toFixed(0)} rows/s (${fresh.requestsSent} requests)`,
      );
    } finally {
      await fresh.dispose();
    }
  } finally {
    await server.close();
    await served.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
