/**
 * The live actor tree of the one system, for the status page: an inspection observer that keeps
 * each actor ref it sees start and the last events, and answers from the refs' current snapshots
 * (a stopped actor drops out). Machines are drawn from their definitions with `xstate/graph`'s
 * `toDirectedGraph`; the current state is the snapshot's value, as key paths (`open.live`).
 */
import type { AnyActorLogic, AnyActorRef, AnyStateMachine, InspectionEvent, Observer } from 'xstate';
import { toDirectedGraph } from 'xstate/graph';

export interface ActorView {
  session: string;
  /** The systemId (runtime, connection, task:<id>…) where it has one, else the actor's id. */
  id: string;
  parent: string | null;
  /** The machine's id for machine actors (a key into charts()), else null. */
  machine: string | null;
  /** The state value (machines), else null. */
  value: unknown;
  /** Active state paths, e.g. ['open', 'open.live'] (machines). */
  active: string[];
  status: string;
}

export interface EventView {
  at: string;
  to: string;
  from: string | null;
  type: string;
}

export interface ChartNode {
  /** Dot-joined key path from the machine root ('' for the root). */
  path: string;
  key: string;
  edges: { event: string; target: string }[];
  children: ChartNode[];
}

const MAX_EVENTS = 200;

function isMachine(logic: AnyActorLogic | undefined): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'states' in logic;
}

/** `{ open: 'live' }` → ['open', 'open.live']; parallel regions give each branch. */
export function activePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p, ...activePaths(v, p));
  }
  return out;
}

/** A readable label for a transition's event (`xstate.after.pollInterval.connection…` → `after pollInterval`). */
export function eventLabel(type: string): string {
  if (type.startsWith('xstate.after.')) return `after ${type.split('.')[2] ?? ''}`;
  if (type.startsWith('xstate.done.actor.')) return 'done';
  if (type.startsWith('xstate.error.actor.')) return 'error';
  if (type.startsWith('xstate.done.state.')) return 'done (state)';
  return type;
}

type GraphNode = ReturnType<typeof toDirectedGraph>;

function chartOf(node: GraphNode): ChartNode {
  const path = node.stateNode.path.join('.');
  const seen = new Set<string>();
  const edges: ChartNode['edges'] = [];
  for (const e of node.edges) {
    const target = e.target.path.join('.');
    const event = eventLabel(e.label.text);
    const k = `${event}\u0000${target}`;
    if (target === path || seen.has(k)) continue;
    seen.add(k);
    edges.push({ event, target });
  }
  return { path, key: node.stateNode.key, edges, children: node.children.map(chartOf) };
}

/**
 * Machines that only group other actors (the task buckets, `tasks:<k>`): listed while they hold a
 * child, so that the page shows the tasks rather than a hundred empty parents.
 */
export const GROUPING_MACHINES: ReadonlySet<string> = new Set(['taskBucket']);

export class ActorTree {
  private readonly refs = new Map<string, AnyActorRef>();
  private readonly recent: EventView[] = [];
  private readonly charts_ = new Map<string, ChartNode>();

  readonly observer: Observer<InspectionEvent> = {
    next: (e) => {
      const ref = e.actorRef as AnyActorRef;
      if (e.type === '@xstate.actor') this.refs.set(ref.sessionId, ref);
      else if (e.type === '@xstate.event') {
        const source = e.sourceRef as AnyActorRef | undefined;
        const name = (r: AnyActorRef) => (r as { systemId?: string }).systemId ?? r.id;
        this.recent.push({ at: new Date().toISOString(), to: name(ref), from: source ? name(source) : null, type: String(e.event.type).slice(0, 200) });
        if (this.recent.length > MAX_EVENTS) this.recent.splice(0, this.recent.length - MAX_EVENTS);
      }
    },
  };

  actors(): ActorView[] {
    const out: ActorView[] = [];
    for (const [session, ref] of this.refs) {
      const snap = ref.getSnapshot() as { status?: string; value?: unknown } | undefined;
      if (!snap || snap.status !== 'active') {
        this.refs.delete(session);
        continue;
      }
      const logic = (ref as { logic?: AnyActorLogic }).logic;
      const machine = isMachine(logic) ? logic : undefined;
      if (machine && GROUPING_MACHINES.has(machine.id) && Object.keys((snap as { children?: object }).children ?? {}).length === 0) continue;
      if (machine && !this.charts_.has(machine.id)) this.charts_.set(machine.id, chartOf(toDirectedGraph(machine)));
      const parent = (ref as { _parent?: AnyActorRef })._parent?.sessionId ?? null;
      out.push({
        session,
        id: (ref as { systemId?: string }).systemId ?? ref.id,
        parent,
        machine: machine?.id ?? null,
        value: machine ? snap.value : null,
        active: machine ? activePaths(snap.value) : [],
        status: snap.status,
      });
    }
    return out;
  }

  events(limit = 50): EventView[] {
    return this.recent.slice(-limit).reverse();
  }

  /** The charts of the machines met so far, by machine id. */
  charts(): Record<string, ChartNode> {
    this.actors();
    return Object.fromEntries(this.charts_);
  }
}
