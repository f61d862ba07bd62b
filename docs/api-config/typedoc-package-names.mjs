// typedoc plugin for tapegrad's API reference: names each entry-point module after its package
// (`@tapegrad/tensor` rather than the path `tensor/src`) and, when the entry file has no module
// comment, describes it with the package.json description.
import { readFileSync } from 'node:fs';
import { Comment, Converter } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.children ?? []) {
      const dir = /^([\w-]+)\/src$/.exec(mod.name)?.[1];
      if (!dir) continue;
      const pkg = JSON.parse(readFileSync(new URL(`../../packages/${dir}/package.json`, import.meta.url), 'utf8'));
      mod.name = pkg.name;
      if (!mod.comment && pkg.description) mod.comment = new Comment([{ kind: 'text', text: pkg.description }]);
    }
  });
}
