// The boundaries of the code, checked on every `npm test` (npm run boundaries). A domain is a
// folder under lib/; its index.ts is its public surface. See README.md, "Development".
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'lib-never-imports-test',
      severity: 'error',
      comment: 'What ships must not depend on the test tree (helpers, fixtures). Move what is needed under lib/.',
      from: { path: '^(lib|functions)/' },
      to: { path: '^test/' },
    },
    {
      name: 'functions-only-import-their-wiring',
      severity: 'error',
      comment: 'A Lambda entry is thin: it imports lib/wiring/<its name>.ts and nothing else of ours.',
      from: { path: '^functions/([^/]+)[.]ts$' },
      to: { path: '^(lib|functions)/', pathNot: '^lib/wiring/$1[.]ts$' },
    },
    {
      name: 'cross-domain-through-index',
      severity: 'error',
      comment: "Another domain is reached through its index.ts (its public surface), never a file inside it.",
      from: { path: '^lib/([^/]+)/' },
      // A lazy import() names the file it loads on purpose: that file alone becomes a chunk.
      to: { path: '^lib/', pathNot: ['^lib/$1/', '^lib/[^/]+/index[.]ts$'], dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'no-cycles-between-domains',
      severity: 'error',
      comment: 'Domains form layers: a domain that needs another must not be needed by it.',
      scope: 'folder',
      from: { path: '^lib/[^/]+/?$' },
      to: { path: '^lib/[^/]+/?$', circular: true },
    },
    {
      name: 'no-circular-modules',
      severity: 'error',
      comment: 'Module cycles make load order matter; break them with a smaller module.',
      from: { path: '^(lib|functions)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]d[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
