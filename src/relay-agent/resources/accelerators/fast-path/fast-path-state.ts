// The fast path as a host resource: observe what is attached to tayga's tun, plan toward the
// desired slice (attach, keep the maps equal to tayga's assignments, or undo what we added),
// and say why once when it cannot run here (tayga then translates everything, as before).
import { mkdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { cidr } from "../../../../core/ip.ts";
import type { AttachedProgram, BpfTools } from "./bpf-tools.ts";
import { type ClientMapping, parseDynamicMap } from "./dynamic-map.ts";
import {
  diffMaps,
  type FastPathMapIds,
  type MapDiff,
  type MappedState,
  mapIdsByRole,
  readMappedState,
} from "./map-sync.ts";
import { type ProgramObject, readProgramObject } from "./program.ts";

/** What the config and the translator want: the fast path on this tun for this prefix/pool. */
export interface FastPathDesired {
  readonly device: string;
  readonly prefix: string;
  readonly pool: string;
  /** tayga's data-dir/dynamic.map, mirrored into the maps. */
  readonly dynamicMap: string;
  /** Where compiled objects go (the agent's state directory). */
  readonly objectDir: string;
  /** The C source; the default is the one in this repository. */
  readonly source?: string;
}

/** What we added, so undo removes exactly that. */
export interface FastPathRecord {
  readonly device: string;
  /** The clsact qdisc was not there before us. */
  readonly addedClsact: boolean;
  /** Compiled objects we wrote. */
  readonly objects: readonly string[];
  /**
   * The last attach failed, and why (the doctor shows it). The next apply or start tries again:
   * the cause (lockdown, capabilities, a kernel upgrade) can go away without the config changing.
   */
  readonly loadFailed?: { readonly object: string; readonly reason: string };
}

export interface FastPathObserved {
  readonly program?: ProgramObject;
  readonly objectExists: boolean;
  readonly missingToolchain: readonly string[];
  readonly deviceExists: boolean;
  readonly clsact: boolean;
  readonly attached?: AttachedProgram;
  readonly maps?: { readonly ids: FastPathMapIds; readonly state: MappedState };
  readonly pairs: readonly ClientMapping[];
  /** Why the fast path cannot run with this config (prefix length), if it cannot. */
  readonly unsupported?: string;
  /** tc or bpftool could not read the host's state: nothing is planned, tayga carries on. */
  readonly unreadable?: string;
}

export interface FastPathChange {
  readonly kind: "attach" | "sync-maps" | "undo";
  readonly summary: string;
  readonly undo: boolean;
  readonly run: (record: FastPathRecord | undefined) => Promise<FastPathRecord | undefined>;
}

export interface FastPathPlan {
  readonly changes: readonly FastPathChange[];
  readonly warnings: readonly string[];
}

export const TAYGA_ONLY = "tayga translates everything";
const INSTALL_HINT = "apt-get install clang llvm libbpf-dev bpftool";

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function readPairs(desired: FastPathDesired): Promise<ClientMapping[]> {
  const text = await readFile(desired.dynamicMap, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  return parseDynamicMap(text, desired.pool);
}

/** Our program on the desired device with its maps, if that is what is attached. */
export async function findOurProgram(
  tools: BpfTools,
  desired: FastPathDesired,
): Promise<{ readonly attached: AttachedProgram; readonly ids: FastPathMapIds } | undefined> {
  const program = await readProgramObject(desired.objectDir, desired.source);
  const attached = await tools.attached(desired.device);
  if (attached?.objectName !== program.filterName) return undefined;
  const ids = mapIdsByRole(await tools.maps(attached.programId));
  return ids ? { attached, ids } : undefined;
}

/** The program handles RFC 6052 /96 prefixes only (the IPv4 is the last 32 bits). */
export function unsupportedReason(desired: FastPathDesired): string | undefined {
  const length = cidr(desired.prefix).length;
  return length === 96
    ? undefined
    : `the fast path handles /96 NAT64 prefixes only, not /${length}`;
}

/** Never throws: a host whose tc or bpftool fails is observed as unreadable. */
export async function observeFastPath(
  desired: FastPathDesired | undefined,
  record: FastPathRecord | undefined,
  tools: BpfTools,
): Promise<FastPathObserved> {
  try {
    return await observeHost(desired, record, tools);
  } catch (error) {
    return {
      objectExists: false,
      missingToolchain: [],
      deviceExists: false,
      clsact: false,
      pairs: [],
      unreadable: firstLine(error),
    };
  }
}

async function observeHost(
  desired: FastPathDesired | undefined,
  record: FastPathRecord | undefined,
  tools: BpfTools,
): Promise<FastPathObserved> {
  const device = desired?.device ?? record?.device;
  const program = desired ? await readProgramObject(desired.objectDir, desired.source) : undefined;
  // `tc qdisc show` fails only for a device that does not exist.
  const qdisc = device
    ? await tools.hasClsact(device).then(
        (present) => present,
        () => undefined,
      )
    : undefined;
  const deviceExists = qdisc !== undefined;
  const clsact = qdisc === true;
  const attached = device && clsact ? await tools.attached(device) : undefined;
  const ids = attached ? mapIdsByRole(await tools.maps(attached.programId)) : undefined;
  const objectExists = program ? await exists(program.path) : false;
  const needsBuild =
    program !== undefined && !objectExists && attached?.objectName !== program.filterName;
  const unsupported = desired ? unsupportedReason(desired) : undefined;
  return {
    ...(program ? { program } : {}),
    objectExists,
    missingToolchain: needsBuild ? await tools.missingToolchain() : [],
    deviceExists,
    clsact,
    ...(attached ? { attached } : {}),
    ...(ids ? { maps: { ids, state: await readMappedState(tools, ids) } } : {}),
    pairs: desired && !unsupported ? await readPairs(desired) : [],
    ...(unsupported ? { unsupported } : {}),
  };
}

/**
 * One line for a log: the telling line of a failed tool's stderr, after the tool's name (tc
 * and bpftool print pages of verifier output; the command line is long and says little).
 */
export function firstLine(error: unknown): string {
  const failed = error as { command?: unknown; stderr?: unknown; message?: unknown };
  const tool = typeof failed.command === "string" ? failed.command.split(" ")[0] : undefined;
  const text =
    typeof failed.stderr === "string" && failed.stderr.trim()
      ? failed.stderr
      : error instanceof Error
        ? error.message
        : String(error);
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const telling = lines.find((line) => /error|denied|not permitted|failed|invalid/i.test(line));
  const line = (telling ?? lines[0] ?? "unknown error").slice(0, 300);
  return tool ? `${tool}: ${line}` : line;
}

function undoChange(
  record: FastPathRecord,
  observed: FastPathObserved,
  tools: BpfTools,
): FastPathChange {
  const parts = [
    ...(observed.attached ? [`detach the fast path from ${record.device}`] : []),
    ...(record.addedClsact && observed.clsact ? [`delete clsact on ${record.device}`] : []),
    ...(record.objects.length ? [`remove ${record.objects.join(", ")}`] : []),
  ];
  return {
    kind: "undo",
    summary: parts.join("; ") || "forget the fast path record",
    undo: true,
    run: async () => {
      if (observed.attached) await tools.detach(record.device);
      if (record.addedClsact && observed.clsact) await tools.deleteClsact(record.device);
      for (const object of record.objects) await rm(object, { force: true });
      // The directory too, when nothing else is in it.
      for (const dir of new Set(record.objects.map((object) => dirname(object)))) {
        await rmdir(dir).catch(() => {});
      }
      return undefined;
    },
  };
}

export function syncSummary(diff: MapDiff): string {
  const parts = [
    ...(diff.added ? [`+${diff.added}`] : []),
    ...(diff.removed ? [`-${diff.removed}`] : []),
  ];
  const clients = parts.length
    ? `${parts.join(" ")} client${diff.added + diff.removed === 1 ? "" : "s"}`
    : "";
  return [clients, diff.configChanged ? "prefix and pool" : ""].filter(Boolean).join(", ");
}

async function attachAndSync(
  desired: FastPathDesired,
  program: ProgramObject,
  observed: FastPathObserved,
  record: FastPathRecord | undefined,
  tools: BpfTools,
): Promise<FastPathRecord> {
  let current: FastPathRecord = {
    device: desired.device,
    addedClsact: record?.addedClsact ?? false,
    objects: record?.objects ?? [],
  };
  let addedNow = false;
  try {
    if (!(await exists(program.path))) {
      await mkdir(dirname(program.path), { recursive: true });
      await tools.compile(program.source, program.path);
      current = { ...current, objects: [...new Set([...current.objects, program.path])] };
    }
    if (!(await tools.hasClsact(desired.device))) {
      await tools.addClsact(desired.device);
      addedNow = true;
      current = { ...current, addedClsact: true };
    }
    await tools.attach(desired.device, program.path);
    const attached = await tools.attached(desired.device);
    const ids = attached ? mapIdsByRole(await tools.maps(attached.programId)) : undefined;
    if (!ids) throw new Error(`the program on ${desired.device} lacks the fast path's maps`);
    const state = await readMappedState(tools, ids);
    await tools.write(diffMaps(ids, state, { ...desired, pairs: observed.pairs }).writes);
    return current;
  } catch (error) {
    // Leave nothing half-attached: tayga alone must see every packet again.
    await tools.detach(desired.device).catch(() => {});
    if (addedNow) {
      await tools.deleteClsact(desired.device).catch(() => {});
      current = { ...current, addedClsact: false };
    }
    return { ...current, loadFailed: { object: program.path, reason: firstLine(error) } };
  }
}

export function planFastPath(
  desired: FastPathDesired | undefined,
  observed: FastPathObserved,
  record: FastPathRecord | undefined,
  tools: BpfTools,
): FastPathPlan {
  if (observed.unreadable) {
    const warnings = desired
      ? [`fast path unavailable: ${observed.unreadable}; ${TAYGA_ONLY}`]
      : [];
    return { changes: [], warnings };
  }
  const ours = (attached: AttachedProgram | undefined) =>
    attached !== undefined &&
    observed.program !== undefined &&
    attached.objectName === observed.program.filterName;
  if (!desired || observed.unsupported || !observed.program) {
    const warnings =
      desired && observed.unsupported ? [`${observed.unsupported}; ${TAYGA_ONLY}`] : [];
    const changes = record ? [undoChange(record, observed, tools)] : [];
    return { changes, warnings };
  }
  const program = observed.program;
  if (ours(observed.attached) && observed.maps) {
    const diff = diffMaps(observed.maps.ids, observed.maps.state, {
      ...desired,
      pairs: observed.pairs,
    });
    if (diff.writes.length === 0) return { changes: [], warnings: [] };
    return {
      changes: [
        {
          kind: "sync-maps",
          summary: `fast path maps on ${desired.device}: ${syncSummary(diff)}`,
          undo: false,
          run: async (current) => {
            await tools.write(diff.writes);
            return current ?? { device: desired.device, addedClsact: false, objects: [] };
          },
        },
      ],
      warnings: [],
    };
  }
  if (!observed.objectExists && observed.missingToolchain.length) {
    return {
      changes: [],
      warnings: [
        `fast path unavailable: ${observed.missingToolchain.join(", ")} not installed (${INSTALL_HINT}); ${TAYGA_ONLY}`,
      ],
    };
  }
  const replacing = observed.attached ? ` (replacing ${observed.attached.objectName})` : "";
  return {
    changes: [
      {
        kind: "attach",
        summary: `attach the fast path to ${desired.device} egress: ${program.filterName}${replacing}, ${observed.pairs.length} client${observed.pairs.length === 1 ? "" : "s"}`,
        undo: false,
        run: (current) => attachAndSync(desired, program, observed, current, tools),
      },
    ],
    warnings: [],
  };
}
