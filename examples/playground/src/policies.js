// The sample policies of ../../policies and their tests, bundled at build
// time: the policy picker offers each policy, the request picker its tests
// (each a request, sometimes a response to mask).

const sources = import.meta.glob("../../../policies/*.gate", { query: "?raw", import: "default", eager: true });
const tests = import.meta.glob("../../../policies/*.test.json", { import: "default", eager: true });

const base = (path) => path.split("/").pop();

/** `[{name: "petstore.gate", text, hashKey, tests: [{name, description, request, response, expect}]}]` */
export const POLICIES = Object.entries(sources)
  .map(([path, text]) => {
    const suite = tests[path.replace(/\.gate$/, ".test.json")] ?? { tests: [] };
    return {
      name: base(path),
      text,
      hashKey: suite.hash_key ?? null,
      tests: suite.tests
        .filter((test) => !test.request.body_file)
        .map(({ name, description, request, response, expect }) => ({ name, description, request, response, expect })),
    };
  })
  // The small pet store first: it is the example of the README.
  .sort((a, b) => (a.name === "petstore.gate" ? -1 : b.name === "petstore.gate" ? 1 : a.name.localeCompare(b.name)));
