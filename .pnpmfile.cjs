// typedoc needs the TypeScript 5.x/6.0 compiler API, which TypeScript 7 (the native compiler this
// repo builds with) does not have. Give typedoc its own TypeScript 5.9 (the same one the root's
// `typescript-api` alias installs), instead of the root's TypeScript 7 that its peer would resolve to.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === 'typedoc') {
        delete pkg.peerDependencies?.typescript;
        pkg.dependencies = { ...pkg.dependencies, typescript: 'npm:typescript@5.9.3' };
      }
      return pkg;
    },
  },
};
