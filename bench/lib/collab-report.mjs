/**
 * The markdown report of `bench/collab.mjs`: one section per part, each saying exactly what was
 * measured, then its table. `r` is everything `collab.mjs` collected (see its `main`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { fmt, makeNotebook, median, REPO, table } from './collab-harness.mjs';

function pkg(name) {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8'))
    .version;
}

function latencyTable(rows) {
  const body = [];
  for (const row of rows) {
    for (const kind of ['ours', 'ref']) {
      const s = row[kind];
      body.push([
        kind === 'ours' ? row.scenario : '',
        kind === 'ours' ? 'Opsbook' : 'reference',
        String(s.n),
        fmt.ms(s.p50),
        fmt.ms(s.p99),
        fmt.ms(s.max),
        fmt.ms(s.firstP50),
        fmt.ms(s.loop.max),
        kind === 'ours' ? fmt.ratio(row.ours.p50, row.ref.p50) : '',
        kind === 'ours' ? fmt.ratio(row.ours.p99, row.ref.p99) : ''
      ]);
    }
  }
  return table(
    [
      'scenario',
      'server',
      'samples',
      'p50 ms',
      'p99 ms',
      'max ms',
      'first observer p50 ms',
      'server event-loop delay max ms',
      'p50 ours/ref',
      'p99 ours/ref'
    ],
    body
  );
}

function profileTable(p, perEdit) {
  return table(
    [
      'function (file:line)',
      'self ms',
      'share',
      ...(perEdit ? ['us per edit'] : []),
      'called from (nearest non-yjs/lib0 frame)'
    ],
    p.functions
      .slice(0, 12)
      .map(f => [
        `\`${f.name}\``,
        fmt.ms(f.ms),
        `${(f.share * 100).toFixed(1)}%`,
        ...(perEdit ? [((f.ms * 1000) / p.edits).toFixed(1)] : []),
        f.callers.map(c => `\`${c.name}\` (${fmt.ms(c.ms)})`).join(', ')
      ])
  );
}

/** The whole report as markdown. */
export function report(r) {
  const { P, m, lat, many, big, log, prof, micro, concat, quiet } = r;
  const out = [];
  const say = s => out.push(s);
  say('# Collaboration server: Opsbook vs @y/websocket-server (same run)\n');
  say(
    `Command: \`node bench/collab.mjs${r.quick ? ' --quick' : ''}${r.noWait ? ' --no-wait' : ''}${r.pin ? ' --pin' : ''}\` (after \`npx tsc -b packages/server\`); ${r.date}; ${r.elapsedS.toFixed(0)} s including ${r.waitedS.toFixed(0)} s waiting for a quiet machine.\n`
  );
  say(`Machine: Node ${m.node}; CPU ${m.cpu}; ${m.cores} cores; ${m.memGiB} GiB RAM; ${m.os}.\n`);
  say(
    `Versions: yjs ${pkg('yjs')}, y-websocket ${pkg('y-websocket')} (client), @y/websocket-server ${pkg('@y/websocket-server')}, ws ${pkg('ws')}, better-sqlite3 ${pkg('better-sqlite3')}, @jupyter/ydoc ${pkg('@jupyter/ydoc')}.\n`
  );
  say(
    `CPU used by OTHER processes during each part (cores' worth; the machine has ${m.cores}): ${quiet
      .map(q => `${q.part} ${q.during.toFixed(2)}`)
      .join(
        ', '
      )}. ${quiet.some(q => q.during > 0.15) ? '**The machine was not quiet: treat tails (p99, max) as noisy; both servers were measured under the same conditions (part 1 interleaved).**' : 'The machine was quiet.'}\n`
  );
  say(
    (r.pin
      ? 'CPU placement (`--pin`): every server process on CPU 0, the benchmark process with all the clients on CPU 1 (`taskset`), as when clients are browsers on other machines.\n\n'
      : 'CPU placement: not pinned; servers and the benchmark process with all the clients share both CPUs (`--pin` separates them).\n\n') +
      "Setup: each server in its own Node child process (`bench/lib/collab-server.mjs`, `--expose-gc`); the reference is `setupWSConnection` from `@y/websocket-server/utils` on a `ws` server, in memory. Every client is a y-websocket 1.x `WebsocketProvider` (BroadcastChannel off) on a `@jupyter/ydoc` YNotebook, all in the benchmark process, the same code for both servers. Reference rooms get their content from a client that holds our codec's initial update of the same notebook, so both servers hold the same items. Our server runs with its default configuration except where a part says otherwise. Our receive path: validate, append the update to the journal (one \`write()\`: durable against a killed process), relay it to the other clients, apply it to the room's YNotebook; the journal's records move into the SQLite update log in one transaction every 50 ms, long after the relay (packages/server/src/collaboration/room.ts, store.ts, journal.ts).\n"
  );

  say('## 1. Update propagation latency\n');
  say(
    `One writer inserts one character at the end of cell 0; a sample is the time from just before the insert until the LAST observer's Y.Text observer has fired (all clients share one clock); "first observer" is the same for the first; "server event-loop delay max" is the longest the server process could not react during that scenario (\`monitorEventLoopDelay\`, 1 ms resolution; in the single-document rows the histogram spans the whole interleaved scenario). "writer + N observers" = N + 1 clients in the room; "1 observer" is the smallest meaningful case (writer -> server -> one other client; our server does not echo an update to its sender, the reference does). Edits start ${r.periodMs} ms apart (typing speed, and under our 200 messages/s per-connection limit); ${P.warmup} warm-up edits per room are not recorded; single-document samples alternate between the servers in ${P.blocks} blocks (both servers up, one room each). ${P.rooms} rooms: each server alone in a fresh process holding ${P.rooms} rooms of a ${r.smallCells}-cell notebook with 2 clients each, while the other rooms' writers edit in turn (one edit per ${r.periodMs} ms across the server, ~${(1000 / r.periodMs).toFixed(0)} edits/s, each room about every ${(((P.rooms - 1) * r.periodMs) / 1000).toFixed(1)} s); sampled in one room after ${P.manyWarmup} warm-up edits. ${P.bigCells}-cell notebook: the room of part 3, writer + 1 observer, ${P.bigSamples} edits without a pause: ours compaction becomes due at the 1,000th update but waits for the first 1 s without updates (\`collabCompactIdleMs\`; at the latest the 10,000th update), so none runs during these samples (its cost is in part 5).\n`
  );
  const manyRow = {
    scenario: `${P.rooms} rooms x 2 clients, background edits`,
    ours: many.ours.latency,
    ref: many.ref.latency
  };
  const bigRow = {
    scenario: `${P.bigCells}-cell notebook, writer + 1 observer`,
    ours: big.lat.ours,
    ref: big.lat.ref
  };
  say(latencyTable([...lat, manyRow, bigRow]) + '\n');
  say(
    `The ${P.rooms}-room row pools ${many.ours.memory.runs} runs per server (fresh processes, alternating); p99 of each run: Opsbook ${many.ours.latency.runP99.map(fmt.ms).join(', ')} ms; reference ${many.ref.latency.runP99.map(fmt.ms).join(', ')} ms. Tails move this much between identical runs on this machine, so a p99 ratio is only meaningful beyond that spread.\n`
  );

  say('## 2. Server memory per room\n');
  say(
    `${P.rooms} rooms of a ${r.smallCells}-cell notebook (${fmt.kb(Buffer.byteLength(JSON.stringify(makeNotebook(r.smallCells))))} KB .ipynb), one client each, opened after 5 warm-up rooms; server memory after three full GCs; (after - before) / ${P.rooms}; mean of the ${many.ours.memory.runs} runs of part 1. "+1 client" is the further delta per room after a second client joined every room. Per room includes its websocket; ours also the room's entry in the disk poller and its SQLite rows (in RSS).\n`
  );
  say(
    table(
      [
        'server',
        'heap/room KB',
        'external/room KB',
        'RSS/room KB',
        '+1 client: heap KB',
        '+1 client: RSS KB',
        `heap with ${P.rooms} rooms, MB`
      ],
      ['ours', 'ref'].map(kind => {
        const x = many[kind].memory;
        return [
          kind === 'ours' ? 'Opsbook' : 'reference',
          fmt.kb(x.heapPerRoom),
          fmt.kb(x.externalPerRoom),
          fmt.kb(x.rssPerRoom),
          fmt.kb(x.heapPerConnection),
          fmt.kb(x.rssPerConnection),
          fmt.mb(x.heapAfter)
        ];
      })
    ) + '\n'
  );
  say(
    `Heap per room ours/ref: ${fmt.ratio(many.ours.memory.heapPerRoom, many.ref.memory.heapPerRoom)}; RSS per room ours/ref: ${fmt.ratio(many.ours.memory.rssPerRoom, many.ref.memory.rssPerRoom)} (RSS deltas are coarse: the allocator and V8 keep freed pages).\n`
  );

  say(`## 3. Opening a ${P.bigCells}-cell notebook\n`);
  say(
    `Notebook: ${P.bigCells} cells (2/3 code with a stream output, 1/3 markdown), ${fmt.mb(big.ipynbBytes)} MB .ipynb, ${fmt.mb(big.docBytes)} MB as a Yjs update. Timed until the client's YNotebook has all ${P.bigCells} cells; median (min-max) of ${P.bigReps} runs, each on a new file / room, the two servers alternating, after one unrecorded cold open and two joins per server.\n\n` +
      '- **cold**: ours: the .ipynb is on disk; PUT session, connect, the server reads and converts the file, logs snapshot 0, syncs. Reference (it has no files, so the content must come from a client): a client already waits in an empty room; a client holding the document connects and syncs it up; timed from that connect until the waiting client has all cells (upload + server apply + broadcast + client apply).\n' +
      '- **join**: a second client joins the loaded room (the same on both servers).\n' +
      `- **local apply** (no server): the same update applied to a YNotebook in the benchmark process, median ${fmt.ms(median(big.local))} ms: the client's own share of every row.\n`
  );
  const rng = v => `${fmt.ms(median(v))} (${fmt.ms(Math.min(...v))}-${fmt.ms(Math.max(...v))})`;
  say(
    table(
      ['measurement', 'Opsbook ms', 'reference ms', 'ours/ref (median)'],
      [
        [
          'cold open',
          rng(big.t.oursCold),
          rng(big.t.refCold),
          fmt.ratio(median(big.t.oursCold), median(big.t.refCold))
        ],
        [
          'join loaded room',
          rng(big.t.oursJoin),
          rng(big.t.refJoin),
          fmt.ratio(median(big.t.oursJoin), median(big.t.refJoin))
        ]
      ]
    ) + '\n'
  );
  say(
    `Where our server spends a cold open (one more cold open, CPU-profiled, not in the table; ${fmt.ms(big.coldProfile.totalMs)} ms of server CPU, self time):\n`
  );
  say(profileTable(big.coldProfile, false) + '\n');
  say(
    `\`get changes\` is yjs' \`YEvent.changes\`, which builds the inserted list with one \`Array.prototype.concat\` per inserted item; our server runs it for 2,000 cells twice per cold open (the YNotebook of \`notebookCodec().initialUpdate\` in codec.ts and the room's YNotebook in \`DocumentRoom.load\`). Concat speed in each process (2,000 concats onto a growing array, \`bench/lib/collab-probe.mjs\`; it allocates, so a bigger heap slows it too): our server ${fmt.ms(concat.ours.ms)} ms, reference server ${fmt.ms(concat.ref.ms)} ms, benchmark clients ${fmt.ms(concat.clients.ms)} ms (ours/ref ${fmt.ratio(concat.ours.ms, concat.ref.ms)}). V8 keeps concat on its fast path only while no object defines \`Symbol.isConcatSpreadable\` (apache-arrow sets it on its Vector, Table and RecordBatch prototypes, which is why our server loads apache-arrow only in worker threads); asked directly (\`%IsConcatSpreadableProtector\`), the fast path is ${concat.ours.fastPath === null ? 'unknown' : concat.ours.fastPath ? 'on' : 'OFF'} in our server and ${concat.ref.fastPath === null ? 'unknown' : concat.ref.fastPath ? 'on' : 'OFF'} in the reference.\n`
  );
  say(
    `During that cold open our server also wrote ${big.coldProfile.yjsWarnings.toLocaleString('en')} lines "Invalid access: Add Yjs type to a document before reading data." to stderr (yjs warns when a cell's types are read before the cell is in a document: \`consoleCall\` above).\n`
  );

  say(`## 4. Update log after ${P.edits.toLocaleString('en')} edits\n`);
  const nc = log['ours-nocompact'];
  const dc = log['ours-default'];
  const rf = log.ref;
  say(
    `${P.edits.toLocaleString('en')} one-character inserts typed into cell 0 of a ${r.smallCells}-cell notebook, one update message each, up to 2,000 in flight, until an observer has all. Ours "log only": \`collabCompactAfterUpdates\` = 10^9, so nothing is compacted while typing; then the server closes, which compacts (\`DocumentRoom.flushAndDispose\` -> \`CollabStore.compact\`: one snapshot row, the update rows deleted). Ours "default": compaction due every 1,000 updates, run at the first 1 s pause, or at once every 10,000 in a room that never pauses, as here. \`collabMessagesPerSecond\` is raised to 10^9 for these runs only (the default 200/s would close a client sending this fast). "Logical" = sum of stored blob lengths (updates + snapshot); "live" = (page_count - freelist_count) x page_size of the database; file = .sqlite + -wal. The reference keeps no log: its state is the encoded document.\n`
  );
  const kb = v => `${fmt.kb(v)} KB`;
  const row = (label, x) => [
    label,
    x.updateRows === 0 ? 'snapshot only' : `${x.updateRows} + snapshot`,
    kb(x.updateBytes + x.snapshotBytes),
    kb(x.dbFile + x.walFile),
    kb(x.liveBytes)
  ];
  say(
    table(
      ['what', 'rows', 'logical', 'DB file (+WAL)', 'live DB pages'],
      [
        row('ours log only, before compaction', nc.before),
        row('ours log only, after close (compacted)', nc.after),
        row('ours default, before close', dc.before),
        row('ours default, after close', dc.after),
        ['reference: encoded document', '-', kb(rf.docBytes), '-', '-'],
        ["(the client's encoded document, ours)", '-', kb(nc.clientDocBytes), '-', '-']
      ]
    ) + '\n'
  );
  say(
    `Per logged update: ${(nc.before.updateBytes / nc.before.updateRows).toFixed(1)} bytes of Yjs update and ${((nc.before.liveBytes - nc.after.liveBytes) / nc.before.updateRows).toFixed(0)} bytes of database pages (each row repeats the 49-character room name, in the row and in the primary-key index). Before compaction the log holds ${fmt.ratio(nc.before.updateBytes + nc.before.snapshotBytes, rf.docBytes)} the bytes of the reference's document (${fmt.ratio(nc.before.liveBytes, rf.docBytes)} counting pages); after compaction the snapshot is ${fmt.ratio(nc.after.snapshotBytes, rf.docBytes)} of it. The file does not shrink after compaction: SQLite keeps freed pages for reuse (no VACUUM).\n`
  );
  say(
    'Ingest throughput of the same runs (server CPU-bound; clients identical) and the time the server took to close (save + compact):\n'
  );
  say(
    table(
      ['server', 'edits/s', 'ms per edit', 'close ms'],
      [
        ['Opsbook, log only', nc.rate.toFixed(0), (1000 / nc.rate).toFixed(3), fmt.ms(nc.closeMs)],
        [
          'Opsbook, default (compaction due every 1,000)',
          dc.rate.toFixed(0),
          (1000 / dc.rate).toFixed(3),
          fmt.ms(dc.closeMs)
        ],
        ['reference', rf.rate.toFixed(0), (1000 / rf.rate).toFixed(3), fmt.ms(rf.closeMs)]
      ]
    ) + '\n'
  );

  say('## 5. Where our server spends its time per update\n');
  say(
    `Receive path of one update, step by step, on the compiled server code in the benchmark process (\`bench/lib/collab-micro.mjs\`; ${micro.n.toLocaleString('en')} typing updates of ${micro.bytes.toFixed(0)} bytes):\n`
  );
  const steps = [
    ['validate', '`Y.decodeUpdate` in `Room.receiveUpdate` (room.ts)', micro.steps.decode],
    [
      'persist (before the relay)',
      '`CollabStore.appendUpdate` (store.ts): one journal record, one `write()` (journal.ts)',
      micro.steps.persist
    ],
    [
      'drain (after the relay)',
      '`appendUpdate` + `CollabStore.drain` every 5th update: one transaction per 5 INSERTs, as at ~100 updates/s (the server drains every 50 ms; the cost lands on every 5th update)',
      micro.steps.drain
    ],
    [
      '(INSERT with its own commit, no journal)',
      'not what the server does: how the server persisted before the journal, on the path to the relay',
      micro.steps.commit
    ],
    [
      '(same INSERT, all in one transaction)',
      'not what the server does: the INSERT without a commit each',
      micro.steps.batched
    ],
    ['apply', "`Y.applyUpdate` into the room's YNotebook", micro.steps.apply],
    ['frame', '`encodeSyncUpdate` (protocol.ts), once per update', micro.steps.frame]
  ];
  say(
    table(
      ['step', 'code', 'mean us', 'p50 us', 'p99 us', 'max ms', 'calls > 1 ms (their total ms)'],
      steps.map(([step, code, x]) => [
        step,
        code,
        x.mean.toFixed(1),
        x.p50.toFixed(1),
        x.p99.toFixed(1),
        x.maxMs.toFixed(2),
        `${x.over1ms} (${x.over1msTotalMs.toFixed(1)})`
      ])
    ) + '\n'
  );
  const c = micro.compaction;
  say(
    `One compaction of the ${c.cells}-cell room (\`DocumentRoom.compact\`, synchronous; due every 1,000 updates): \`Y.encodeStateAsUpdate\` ${fmt.ms(c.encodeMs)} ms + \`CollabStore.compact\` (a ${fmt.kb(c.bytes)} KB snapshot row, 1,000 rows deleted) ${fmt.ms(c.storeMs)} ms. It runs once the room has had no update for \`collabCompactIdleMs\` (1 s), so nobody typing waits for it; only a room that never pauses compacts in a microtask right after its 10,000th update, and then everything arriving at the server meanwhile (in any room) waits that long.\n`
  );
  say(
    `CPU profile (V8 sampling, 100 us) of each server process in a separate run while it ingests ${prof.ours.edits.toLocaleString('en')} edits as in part 4 (ours with default compaction), self time; "(idle)" is time the process waited for input. Ours: ${fmt.ms(prof.ours.totalMs)} ms sampled during ${fmt.ms(prof.ours.wallMs)} ms of ingest; reference: ${fmt.ms(prof.ref.totalMs)} ms during ${fmt.ms(prof.ref.wallMs)} ms. \`run (native)\` is better-sqlite3's \`Statement.run\`, \`writev (native)\` the socket writes.\n`
  );
  for (const [label, p] of [
    ['Opsbook', prof.ours],
    ['reference', prof.ref]
  ]) {
    say(`${label}, by function:\n`);
    say(profileTable(p, true) + '\n');
    say(`${label}, by file:\n`);
    say(
      table(
        ['file', 'self ms', 'share'],
        p.files
          .slice(0, 8)
          .map(f => [`\`${f.name}\``, fmt.ms(f.ms), `${(f.share * 100).toFixed(1)}%`])
      ) + '\n'
    );
  }
  return out.join('\n');
}
