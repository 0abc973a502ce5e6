/**
 * Compares the docker plugin's schema (what tools/docker's tfgen wrote and the
 * plugin embeds) with the @pulumi/docker SDK in node_modules, the side that
 * sends the inputs: resource and function tokens, the input properties of
 * Container, RemoteImage, Volume, Network and the provider configuration, and,
 * recursively, the nested types their inputs use (type names and properties).
 *
 *   npx ts-node --transpile-only tools/docker/check-schema.ts [schema.json]
 *
 * The schema defaults to $ATLAS_TOOLCHAIN_DIR/src/docker/cmd/pulumi-resource-docker/schema.json
 * (scripts/build-tools.sh writes it there); `pulumi package get-schema <plugin binary>`
 * gives the same JSON. Prints every difference; exits 1 when one is not listed in
 * KNOWN, 2 when a file is missing.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as ts from "typescript";

/** Differences that are understood and accepted, with the reason. */
const KNOWN: Record<string, string> = {
  "resource docker:index/image:Image: in the SDK, not in the schema":
    "the SDK's Image is a resource of pulumi-docker's own (not Terraform's); ATLAS builds images with docker-build",
  "Plugin.name: required in the schema, optional in the SDK":
    "an image or plugin reference is never auto-named (tools/docker/mapping/mapping.go)",
  "RegistryImage.name: required in the schema, optional in the SDK":
    "an image or plugin reference is never auto-named (tools/docker/mapping/mapping.go)",
};

interface Prop {
  optional: boolean;
  /** The SDK's type text, or the schema's nested type name. */
  type?: string;
  /** The nested type the property uses, by name, when it has one. */
  nested?: string;
}
type Props = Map<string, Prop>;

interface SchemaProp {
  $ref?: string;
  items?: SchemaProp;
  additionalProperties?: SchemaProp;
}
interface SchemaObject {
  properties?: Record<string, SchemaProp>;
  inputProperties?: Record<string, SchemaProp>;
  required?: string[];
  requiredInputs?: string[];
}
interface Schema {
  provider: SchemaObject;
  resources: Record<string, SchemaObject>;
  functions: Record<string, { inputs?: SchemaObject; outputs?: SchemaObject }>;
  types: Record<string, SchemaObject>;
}

const root = join(__dirname, "..", "..");
const sdk = join(root, "node_modules", "@pulumi", "docker");
const toolchain = process.env.ATLAS_TOOLCHAIN_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "atlas-toolchain");
const schemaPath = process.argv[2] ?? join(toolchain, "src", "docker", "cmd", "pulumi-resource-docker", "schema.json");

/**
 * The interfaces (`XArgs`, input types: their properties) and classes (the
 * resource: its instance properties, i.e. outputs) declared at the top level of
 * a .d.ts file. An output counts as optional: the SDK's types do not say.
 */
function declarations(file: string): Map<string, Props> {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found = new Map<string, Props>();
  for (const statement of source.statements) {
    const props: Props = new Map();
    if (ts.isInterfaceDeclaration(statement)) {
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member) || !member.name) continue;
        props.set(member.name.getText(source), { optional: member.questionToken !== undefined, type: member.type?.getText(source) });
      }
      found.set(statement.name.text, props);
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      for (const member of statement.members) {
        if (!ts.isPropertyDeclaration(member) || ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Static | ts.ModifierFlags.Private)) continue;
        props.set(member.name.getText(source), { optional: true, type: member.type?.getText(source) });
      }
      found.set(statement.name.text, props);
    }
  }
  return found;
}

/** The type name of a schema property's `#/types/docker:index/X:X` reference, through arrays and maps. */
function refName(p: SchemaProp): string | undefined {
  const ref = p.$ref ?? p.items?.$ref ?? p.additionalProperties?.$ref;
  return ref?.match(/^#\/types\/[^:]+:[^:]+:(\w+)$/)?.[1];
}

function schemaProps(o: SchemaObject, input: boolean): Props {
  const all = (input ? o.inputProperties : o.properties) ?? {};
  const required = new Set((input ? o.requiredInputs : o.required) ?? []);
  return new Map(Object.entries(all).map(([name, p]) => [name, { optional: !required.has(name), nested: refName(p) }]));
}

/** The tokens the SDK registers: resources from `__pulumiType`, functions from `invoke(...)`. */
function sdkTokens(): { resources: Set<string>; functions: Set<string> } {
  const resources = new Set<string>();
  const functions = new Set<string>();
  for (const f of readdirSync(sdk).filter((n) => n.endsWith(".js"))) {
    const text = readFileSync(join(sdk, f), "utf8");
    for (const m of text.matchAll(/__pulumiType = '([^']+)'/g)) if (m[1] !== "docker") resources.add(m[1]);
    for (const m of text.matchAll(/invoke(?:Output)?\("(docker:[^"]+)"/g)) functions.add(m[1]);
  }
  return { resources, functions };
}

function main(): number {
  for (const f of [schemaPath, join(sdk, "package.json")]) {
    if (!existsSync(f)) {
      console.error(`missing ${f} (run scripts/build-tools.sh pulumi-resource-docker, and npm ci)`);
      return 2;
    }
  }
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Schema;
  const sdkVersion = (JSON.parse(readFileSync(join(sdk, "package.json"), "utf8")) as { version: string }).version;
  const inputTypes = declarations(join(sdk, "types", "input.d.ts"));
  const outputTypes = declarations(join(sdk, "types", "output.d.ts"));
  // The nested type an SDK property uses: the first name in its type text that
  // types/input.d.ts or output.d.ts declares (`inputs.X`, `outputs.X`, or a bare X
  // inside those files).
  const nestedOf = (p: Prop): string | undefined =>
    [...(p.type ?? "").matchAll(/\b(?:inputs\.|outputs\.)?(\w+)/g)].map((m) => m[1]).find((n) => inputTypes.has(n) || outputTypes.has(n));
  const diffs: string[] = [];

  const tokens = sdkTokens();
  for (const [kind, inSdk, inSchema] of [
    ["resource", tokens.resources, new Set(Object.keys(schema.resources))],
    ["function", tokens.functions, new Set(Object.keys(schema.functions).filter((t) => !t.startsWith("pulumi:")))],
  ] as const) {
    for (const t of inSdk) if (!inSchema.has(t)) diffs.push(`${kind} ${t}: in the SDK, not in the schema`);
    for (const t of inSchema) if (!inSdk.has(t)) diffs.push(`${kind} ${t}: in the schema, not in the SDK`);
  }

  // Inputs are what the SDK sends: a name the schema lacks is an input the
  // provider does not know. Outputs are what the SDK reads back from state: a
  // name the schema lacks reads as undefined. Optionality only counts for inputs.
  const seen = new Set<string>();
  const compare = (where: string, fromSdk: Props, fromSchema: Props, input: boolean): void => {
    for (const [name, sdkProp] of fromSdk) {
      const s = { ...sdkProp, nested: nestedOf(sdkProp) };
      const p = fromSchema.get(name);
      if (!p) {
        diffs.push(`${where}.${name}: in the SDK, not in the schema`);
        continue;
      }
      if (input && !p.optional && s.optional) diffs.push(`${where}.${name}: required in the schema, optional in the SDK`);
      if (input && p.optional && !s.optional) diffs.push(`${where}.${name}: optional in the schema, required in the SDK`);
      // Node's code generator capitalizes type names (getNetworkContainer → GetNetworkContainer).
      const schemaNested = p.nested && `${p.nested[0].toUpperCase()}${p.nested.slice(1)}`;
      if (s.nested !== schemaNested) {
        diffs.push(`${where}.${name}: type ${p.nested ?? "(plain)"} in the schema, ${s.nested ?? "(plain)"} in the SDK`);
      } else if (s.nested && p.nested && !seen.has(`${input} ${s.nested}`)) {
        seen.add(`${input} ${s.nested}`);
        const sdkType = (input ? inputTypes : outputTypes).get(s.nested);
        const schemaType = schema.types[`docker:index/${p.nested}:${p.nested}`];
        if (!sdkType || !schemaType) diffs.push(`type ${s.nested}: ${sdkType ? "not in the schema" : `not in the SDK's ${input ? "input" : "output"} types`}`);
        else compare(`${s.nested}${input ? "" : " (output)"}`, sdkType, schemaProps(schemaType, false), input);
      }
    }
    for (const name of fromSchema.keys()) if (!fromSdk.has(name)) diffs.push(`${where}.${name}: in the schema, not in the SDK`);
  };

  compare("provider", declarations(join(sdk, "provider.d.ts")).get("ProviderArgs") ?? new Map(), schemaProps(schema.provider, true), true);
  for (const token of tokens.resources) {
    // docker:index/remoteImage:RemoteImage: the SDK's file remoteImage.d.ts, its class RemoteImage.
    const [, module, name] = token.split(":");
    const file = module.replace(/^index\//, "");
    const sdkFile = declarations(join(sdk, `${file}.d.ts`));
    const args = sdkFile.get(`${name}Args`);
    const outputs = sdkFile.get(name);
    const resource = schema.resources[`docker:index/${file}:${name}`];
    if (!args || !outputs || !resource) continue; // a missing token is reported above
    compare(name, args, schemaProps(resource, true), true);
    // Every resource has `id` and `urn` besides its schema properties.
    outputs.delete("id");
    outputs.delete("urn");
    compare(`${name} (output)`, outputs, schemaProps(resource, false), false);
  }
  for (const token of tokens.functions) {
    const name = token.split(":")[2];
    const fn = schema.functions[token];
    if (!fn) continue;
    const sdkFile = declarations(join(sdk, `${name}.d.ts`));
    const title = `${name[0].toUpperCase()}${name.slice(1)}`;
    compare(name, sdkFile.get(`${title}Args`) ?? new Map(), schemaProps(fn.inputs ?? {}, false), true);
    compare(`${name} (result)`, sdkFile.get(`${title}Result`) ?? new Map(), schemaProps(fn.outputs ?? {}, false), false);
  }

  const unexpected = diffs.filter((d) => !(d in KNOWN));
  console.log(`schema ${schemaPath} against @pulumi/docker ${sdkVersion}: ${diffs.length} difference(s), ${unexpected.length} unexpected`);
  for (const d of diffs) console.log(`${d in KNOWN ? "  known     " : "  UNEXPECTED"} ${d}${d in KNOWN ? ` (${KNOWN[d]})` : ""}`);
  for (const k of Object.keys(KNOWN)) if (!diffs.includes(k)) console.log(`  (KNOWN lists a difference no longer seen: ${k})`);
  return unexpected.length ? 1 : 0;
}

process.exitCode = main();
