import { monitorSpecSchema } from '../monitors/monitor-spec.schema';
import {
  initialState,
  MonitorMachine,
  versionFacts,
  type ActionRecord,
  type EvaluationSink,
  type TransitionRecord,
} from './monitor.machine';

function machineOf(overrides: Record<string, unknown> = {}) {
  const spec = monitorSpecSchema.parse({
    model: 'pq',
    alias: 'production',
    task: 'regression',
    metric: 'mae',
    tolerance: { kind: 'absolute', max: 1 },
    window: { kind: 'count', size: 2 },
    consecutiveBadWindows: 2,
    cooldownSeconds: 60,
    actions: { retrain: true, deactivate: { fallbackVersion: 1 } },
    ...overrides,
  });
  const transitions: TransitionRecord[] = [];
  const actions: ActionRecord[] = [];
  const sink: EvaluationSink = {
    evaluation: () => undefined,
    transition: (_, t) => transitions.push(t),
    action: (_, a) => actions.push(a),
  };
  const facts = versionFacts(spec, {
    model: 'pq',
    version: 2,
    status: 'ready',
    aliases: [],
    metrics: {},
    lineage: {},
  });
  const definition = {
    id: 'm1',
    tenant: 't',
    model: 'pq',
    alias: 'production',
    pinnedVersion: null,
    spec,
  };
  const machine = new MonitorMachine(definition, initialState(spec, facts), sink);
  const window = (error: number, at: number): void => {
    machine.addPair(10 + error, 10, at);
    machine.addPair(10 - error, 10, at);
  };
  return {
    machine,
    transitions,
    actions: () => actions.filter((a) => a.kind !== 'state-event'),
    window,
  };
}

describe('monitor state machine', () => {
  it('acts once per degradation, on the set number of consecutive bad windows', () => {
    const { machine, transitions, actions, window } = machineOf();
    window(0.5, 1_000);
    window(2, 2_000);
    expect(machine.state.status).toBe('healthy');
    window(2, 3_000);
    expect(machine.state.status).toBe('action-taken');
    window(3, 4_000);
    window(3, 5_000);
    expect(actions().map((a) => a.kind)).toEqual(['retrain', 'deactivate']);
    expect(actions()[1]!.payload).toMatchObject({
      version: 2,
      fallbackVersion: 1,
      alias: 'production',
    });
    expect(transitions.map((t) => t.to)).toEqual(['healthy', 'degraded', 'action-taken']);
  });

  it('recovers after good windows and does not act again within the cool-down', () => {
    const { machine, transitions, actions, window } = machineOf({ consecutiveBadWindows: 1 });
    window(2, 1_000);
    window(0.1, 2_000);
    expect(machine.state.status).toBe('recovered');
    window(2, 30_000);
    expect(machine.state.status).toBe('degraded');
    expect(transitions[transitions.length - 1]!.reason).toContain('no action during the cool-down');
    window(0.1, 40_000);
    window(2, 70_000);
    expect(machine.state.status).toBe('action-taken');
    expect(actions().filter((a) => a.kind === 'retrain')).toHaveLength(2);
  });

  it('starts over on a new version and reports the recovery there', () => {
    const { machine, transitions, window } = machineOf({ consecutiveBadWindows: 1 });
    window(2, 1_000);
    machine.switchVersion(
      { version: 3, baseline: null, lower: null, upper: 1, lineage: {}, profile: null },
      'promoted',
      2_000,
    );
    expect(machine.state).toMatchObject({ status: 'collecting', pairsOnVersion: 0 });
    window(0.2, 3_000);
    expect(transitions.map((t) => t.to)).toEqual([
      'degraded',
      'action-taken',
      'collecting',
      'recovered',
    ]);
    expect(transitions[3]!.reason).toContain(
      'version 3 is within the band after version 2 degraded',
    );
  });
});
