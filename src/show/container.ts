/**
 * The container around a checkpoint, from the JSON beside the images in a
 * container checkpoint archive: `config.dump` (the engine's record: id,
 * name, image, runtime, created and checkpointed times) and `spec.dump` (the
 * OCI runtime spec: command, hostname, mounts; annotations name the engine).
 */
import { ImageError } from "../image/mod.ts";

export interface ContainerMount {
  destination: string;
  type?: string;
  source?: string;
}

export interface ContainerFacts {
  engine?: string;
  name?: string;
  id?: string;
  image?: string;
  image_id?: string;
  runtime?: string;
  created?: string;
  checkpointed?: string;
  hostname?: string;
  command?: string[];
  mounts?: ContainerMount[];
}

/** JSON documents larger than this are not a container's metadata. */
const MAX_JSON = 16 << 20;

type Json = Record<string, unknown>;

function parse(bytes: Uint8Array | undefined, where: string): Json | undefined {
  if (bytes === undefined) return undefined;
  const fail = (why: string) =>
    new ImageError(`${where}: ${why}`, { image: where, entry: -1, offset: 0 });
  if (bytes.length > MAX_JSON) throw fail(`larger than ${MAX_JSON} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw fail(`not JSON (${e instanceof Error ? e.message : e})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail("not a JSON object");
  return v as Json;
}

const str = (v: unknown) => typeof v === "string" && v !== "" ? v : undefined;
/** Go writes an unset time as year 1. */
const time = (v: unknown) => str(v)?.startsWith("0001-") ? undefined : str(v);

/** The engine that made the checkpoint, from the spec's annotations. */
function engineOf(annotations: Json): string | undefined {
  const keys = Object.keys(annotations);
  if (annotations["io.container.manager"] === "libpod") return "Podman";
  if (keys.some((k) => k.startsWith("io.kubernetes.cri-o."))) return "CRI-O";
  if (keys.some((k) => k.startsWith("io.kubernetes.cri."))) return "containerd";
  return undefined;
}

/** The facts of `config.dump` and `spec.dump`; undefined when the archive has neither. */
export function containerFacts(
  member: (name: string) => Uint8Array | undefined,
  archive: string,
): ContainerFacts | undefined {
  const config = parse(member("config.dump"), `${archive}:config.dump`);
  const spec = parse(member("spec.dump"), `${archive}:spec.dump`);
  if (!config && !spec) return undefined;
  const c = config ?? {};
  const s = spec ?? {};
  const annotations = (typeof s.annotations === "object" && s.annotations) as Json || {};
  const process = (typeof s.process === "object" && s.process) as Json || {};
  const args = Array.isArray(process.args) ? process.args.filter((a) => typeof a === "string") : [];
  const mounts = Array.isArray(s.mounts)
    ? (s.mounts as unknown[]).flatMap((m): ContainerMount[] => {
      const o = (typeof m === "object" && m) as Json || {};
      const destination = str(o.destination);
      return destination ? [{ destination, type: str(o.type), source: str(o.source) }] : [];
    })
    : [];
  const facts: ContainerFacts = {
    engine: engineOf(annotations),
    name: str(c.name) ?? str(annotations["io.kubernetes.cri-o.ContainerName"]),
    id: str(c.id),
    image: str(c.rootfsImageName) ?? str(c.rootfsImageRef),
    image_id: str(c.rootfsImage),
    runtime: str(c.runtime),
    created: time(c.createdTime),
    checkpointed: time(c.checkpointedTime),
    hostname: str(s.hostname),
    command: args.length ? args : undefined,
    mounts: mounts.length ? mounts : undefined,
  };
  for (const k of Object.keys(facts) as (keyof ContainerFacts)[]) {
    if (facts[k] === undefined) delete facts[k];
  }
  return facts;
}
