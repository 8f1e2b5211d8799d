// Validates every object of a rendered manifest stream (stdin: `kubectl kustomize ...` output) against the Kubernetes
// API schemas that the kubernetes-models package ships (types, required fields, enums, formats). Unknown fields are
// not flagged by those schemas; the .NET test (Ops/KubernetesManifestTests) asserts the fields that matter by name.
// Prints one line per object; exits 1 when any object is invalid or of an unknown apiVersion/kind.
// `--json FILE` also writes the objects as one JSON array (for the test's own assertions).
import { writeFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const input = await new Promise((resolve, reject) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
  process.stdin.on("error", reject);
});

let failures = 0;
let objects = 0;
const parsed = [];
for (const document of parseAllDocuments(input)) {
  if (document.errors.length > 0) {
    console.log(`invalid YAML: ${document.errors.map((e) => e.message).join("; ")}`);
    failures++;
    continue;
  }

  const object = document.toJS();
  if (object === null) continue;
  objects++;
  parsed.push(object);
  const name = `${object.kind}/${object.metadata?.name} (${object.apiVersion})`;
  // core "v1" -> kubernetes-models/v1; "apps/v1" -> kubernetes-models/apps/v1
  let models;
  try {
    models = await import(`kubernetes-models/${object.apiVersion}`);
  } catch {
    console.log(`unknown apiVersion: ${name}`);
    failures++;
    continue;
  }

  const Model = models[object.kind];
  if (typeof Model !== "function") {
    console.log(`unknown kind: ${name}`);
    failures++;
    continue;
  }

  try {
    new Model(object).validate();
    console.log(`valid: ${name}`);
  } catch (error) {
    console.log(`invalid: ${name}: ${error.message}`);
    failures++;
  }
}

if (objects === 0) {
  console.log("no objects on stdin");
  failures++;
}

const jsonAt = process.argv.indexOf("--json");
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify(parsed));
process.exit(failures === 0 ? 0 : 1);
