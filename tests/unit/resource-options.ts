/**
 * Resource options as the engine receives them. harness.ts records each
 * registration's type, name and inputs; options such as deleteBeforeReplace,
 * retainOnDelete or additionalSecretOutputs never reach the mocks' newResource,
 * so they are read here from the mock monitor's RegisterResource requests.
 * Start the tap before runProgram and stop it in afterEach.
 */
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

export interface RecordedOptions {
  deleteBeforeReplace: boolean;
  retainOnDelete: boolean;
  protect: boolean;
  additionalSecretOutputs: string[];
  ignoreChanges: string[];
  replaceOnChanges: string[];
  /** The provider reference (`<urn>::<id>`), empty for the default provider. */
  provider: string;
  /** URNs this resource depends on (dependsOn and input dependencies). */
  dependencies: string[];
  /** The parent's URN. */
  parent: string;
}

export interface OptionsTap {
  /** Options of the one registration of `type` named `name`. */
  of(type: string, name: string): RecordedOptions;
  /** Every registration seen, as `type/name`. */
  names(): string[];
  stop(): void;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the request is an untyped protobuf message */
export function tapResourceOptions(): OptionsTap {
  const seen = new Map<string, RecordedOptions[]>();
  const original = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: any) {
    const key = `${req.getType()}/${req.getName()}`;
    seen.set(key, [
      ...(seen.get(key) ?? []),
      {
        deleteBeforeReplace: req.getDeletebeforereplace(),
        retainOnDelete: req.getRetainondelete(),
        protect: req.getProtect(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        provider: req.getProvider(),
        dependencies: req.getDependenciesList(),
        parent: req.getParent(),
      },
    ]);
    return original.call(this, req, callback);
  };
  return {
    of(type, name) {
      const found = seen.get(`${type}/${name}`) ?? [];
      if (found.length !== 1) throw new Error(`expected one registration of ${type}/${name}, found ${found.length}; seen: ${[...seen.keys()].join(", ")}`);
      return found[0];
    },
    names: () => [...seen.keys()],
    stop() {
      MockMonitor.prototype.registerResource = original;
    },
  };
}
