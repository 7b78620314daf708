// A small offline renderer of /openapi.json: each route, its parameters, bodies and answers.
"use strict";

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function resolve(spec, schema) {  // follow "$ref": "#/components/schemas/Name"
  if (schema && schema.$ref) return resolve(spec, schema.$ref.split("/").slice(1).reduce((o, k) => o[k], spec));
  if (schema && schema.items) return { ...schema, items: resolve(spec, schema.items) };
  if (schema && schema.properties) {
    const properties = {};
    for (const [k, v] of Object.entries(schema.properties)) properties[k] = resolve(spec, v);
    return { ...schema, properties };
  }
  return schema;
}

function shape(schema) {  // a compact, readable form of a JSON schema
  if (!schema) return "";
  if (schema.anyOf) return schema.anyOf.map(shape).join(" | ");
  if (schema.type === "array") return [shape(schema.items)];
  if (schema.properties) {
    const out = {};
    for (const [k, v] of Object.entries(schema.properties)) out[k] = shape(v);
    return out;
  }
  if (schema.type === "object" && schema.additionalProperties) return { "<key>": shape(schema.additionalProperties) };
  return schema.format ? `${schema.type} (${schema.format})` : schema.type || "any";
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  const root = document.getElementById("endpoints");
  root.append(el("p", `${spec.info.title} ${spec.info.version}: ${spec.info.description || ""}`));
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const box = el("section", undefined, "endpoint");
      const title = el("h2");
      title.append(el("span", method.toUpperCase(), `method ${method}`), " ", el("code", path), " ", el("span", op.summary || "", "muted"));
      box.append(title);
      if (op.description) box.append(el("p", op.description));
      for (const p of op.parameters || []) {
        box.append(el("p", `${p.in} parameter ${p.name}${p.required ? " (required)" : ""}: ${shape(resolve(spec, p.schema))} ${p.description || ""}`));
      }
      if (op.requestBody) {
        for (const [type, body] of Object.entries(op.requestBody.content)) {
          box.append(el("p", `body ${type}:`));
          box.append(el("pre", JSON.stringify(body.example || shape(resolve(spec, body.schema)), null, 2)));
        }
      }
      for (const [code, answer] of Object.entries(op.responses || {})) {
        const json = answer.content && answer.content["application/json"];
        box.append(el("p", `${code}: ${answer.description}`));
        if (json && json.schema) box.append(el("pre", JSON.stringify(shape(resolve(spec, json.schema)), null, 2)));
      }
      root.append(box);
    }
  }
}

main().catch((err) => document.getElementById("endpoints").append(el("p", String(err), "error")));
