#!/usr/bin/env node
// The tapegrad-graph command. A committed file rather than the build output, so that the package
// manager can link the command before the package is built; the work happens in dist/cli.js.
import '../dist/cli.js';
