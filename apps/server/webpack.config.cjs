// Bundles the server, the workspace libraries and their npm packages into one file,
// dist/apps/server/main.js. ts-loader keeps TypeScript's decorator metadata (Nest's DI needs it).
//
// node_modules are bundled too, not left as require() calls: loading one file instead of
// resolving, reading and compiling some 1,100 package files cuts about 150 ms off every start
// (docs/benchmarks.md, discovery). The bundle needs no node_modules at run time.
//
// The emitted main.js is then a small loader followed by that bundle inside one block comment
// (CodeCachePlugin below): the loader compiles the bundle with a V8 code cache, so a start does
// not parse and compile it again (about 100 ms less).
//
// The Python fork server (libs/executor/src/lib/fork_server.py) is not JavaScript: it is emitted
// beside main.js (RuntimeAssetsPlugin below), with the plugin templates of `sanctum-mcp init`, where the bundled executor looks for it.
const { createHash } = require("node:crypto");
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const webpack = require("webpack");

const root = join(__dirname, "../..");
const tsconfig = join(__dirname, "tsconfig.app.json");
// The workspace libraries, from the same `paths` the TypeScript compiler uses.
const { paths } = require("../../tsconfig.base.json").compilerOptions;
const alias = Object.fromEntries(
  Object.entries(paths).map(([name, [target]]) => [name, join(root, target)]),
);

/**
 * Packages that Nest, Terminus and others require inside try/catch only if they are installed
 * (@nestjs/microservices, @nestjs/websockets, @nestjs/swagger, class-validator, ...). Those that
 * cannot be resolved at build time stay plain require() calls, so they fail at run time exactly
 * as they did with external node_modules.
 */
function optionalMissing({ context, request }, callback) {
  if (!request || /^[./]/.test(request) || request.startsWith("node:") || request in alias) return callback();
  try {
    require.resolve(request, { paths: [context || root] });
    return callback();
  } catch {
    return callback(null, `commonjs ${request}`);
  }
}

/**
 * The start of main.js. Node runs it as a CommonJS module; it reads the bundle from the comment
 * that follows, compiles it (as Node would compile a module) with the code cache when one matches,
 * and runs it with this module's exports, require, module, __filename and __dirname.
 *
 * The cache is `main.js.v8cache` next to main.js, or, when that folder is not writable (a
 * container image), `$XDG_CACHE_HOME/sanctum-mcp/code-<hash of the path>.v8cache` (else under
 * ~/.cache). Its first line must equal this build's key: the bundle's hash, main.js's size and
 * mtime, the Node.js version and the architecture; V8 also checks its own version and flags. A
 * missing or rejected cache is written when the process exits (atomically, by rename) after a
 * complete start (main.ts sets the global `Symbol.for("sanctum.started")`), so that it holds the
 * functions a start compiles. MCP_CODE_CACHE=0 compiles without a cache and writes none.
 * @param {string} build hash of the bundle's text
 * @param {number} lineOffset lines of main.js before the bundle's first line
 */
function loader(build, lineOffset) {
  const fs = require("node:fs");
  const path = require("node:path");
  const vm = require("node:vm");
  const text = fs.readFileSync(__filename, "utf8");
  const marker = `\n/*${build}\n`;
  const start = text.indexOf(marker);
  const end = text.lastIndexOf("*/");
  if (start < 0 || end < start) throw new Error(`${__filename} is damaged: the bundle ${build} is not in it`);
  const source = text
    .slice(start + marker.length, end)
    .replaceAll("*\u0001/", "*/")
    .replaceAll("\u00010", "\u0001");
  const enabled = !["0", "false", "no", "off"].includes(process.env.MCP_CODE_CACHE?.trim().toLowerCase() ?? "");
  const stats = fs.statSync(__filename);
  const key = `sanctum-v8-cache ${build} ${stats.size} ${stats.mtimeMs} ${process.version} ${process.arch}`;
  let file = `${__filename}.v8cache`;
  let cachedData;
  if (enabled) {
    try {
      fs.accessSync(__dirname, fs.constants.W_OK);
    } catch {
      const base = process.env.XDG_CACHE_HOME?.trim() || path.join(require("node:os").homedir(), ".cache");
      const id = require("node:crypto").createHash("sha256").update(__filename).digest("hex").slice(0, 16);
      file = path.join(base, "sanctum-mcp", `code-${id}.v8cache`);
    }
    try {
      const data = fs.readFileSync(file);
      const eol = data.indexOf(10);
      if (eol > 0 && data.toString("utf8", 0, eol) === key) cachedData = data.subarray(eol + 1);
    } catch {
      // no cache yet
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: __filename,
    lineOffset,
    cachedData,
  });
  if (enabled && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", () => {
      if (globalThis[Symbol.for("sanctum.started")] !== true) return;
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${key}\n`), script.createCachedData()]));
        fs.renameSync(tmp, file);
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // nothing to clean up
        }
      }
    });
  }
  script.runInThisContext()(exports, require, module, __filename, __dirname);
}

/** Wraps the emitted bundle as described at `loader`, and shifts its source map by the loader's lines. */
class CodeCachePlugin {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap("CodeCachePlugin", (compilation) => {
      compilation.hooks.processAssets.tap({ name: "CodeCachePlugin", stage: webpack.Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_TRANSFER }, () => {
        const bundle = compilation.getAsset("main.js").source.source().toString();
        const build = createHash("sha256").update(bundle).digest("hex").slice(0, 32);
        // The comment must not end early: every "*/" becomes "*\u0001/" (and "\u0001" itself "\u00010").
        const escaped = bundle.replaceAll("\u0001", "\u00010").replaceAll("*/", "*\u0001/");
        const head = [
          // The npm package's `bin` (apps/server/package): main.js runs as a command.
          "#!/usr/bin/env node",
          "// Sanctum MCP gateway (webpack bundle of apps/server, see apps/server/webpack.config.cjs).",
          "// The code below compiles the bundle in the comment that follows with a V8 code cache.",
          `(${loader})(${JSON.stringify(build)}, LINE_OFFSET);`,
        ].join("\n");
        const lineOffset = head.split("\n").length + 1;
        const text = `${head.replace("LINE_OFFSET", String(lineOffset))}\n/*${build}\n${escaped}*/\n//# sourceMappingURL=main.js.map\n`;
        compilation.updateAsset("main.js", new webpack.sources.RawSource(text));
        const map = compilation.getAsset("main.js.map");
        if (map) {
          const json = JSON.parse(map.source.source().toString());
          json.mappings = ";".repeat(lineOffset) + json.mappings;
          compilation.updateAsset("main.js.map", new webpack.sources.RawSource(JSON.stringify(json)));
        }
      });
    });
  }
}

/**
 * Emits files main.js reads at run time beside it, from where they lie in the workspace:
 * libs/executor/src/lib/fork_server.py as dist/apps/server/fork_server.py (the executor finds it as
 * `join(__dirname, "fork_server.py")`; for target "node" webpack leaves `__dirname` to Node
 * (node.__dirname "eval-only"), and the loader above passes main.js's folder), and the plugin
 * generator's templates as plugin-template/ (`sanctum-mcp init`, apps/server/src/cli/init.ts).
 */
class RuntimeAssetsPlugin {
  static templates = join(root, "tools/nx-plugin/src/generators/mcp-plugin/files/__name__");
  static assets = [
    ["fork_server.py", join(root, "libs/executor/src/lib/fork_server.py")],
    ...readdirSync(RuntimeAssetsPlugin.templates).map((file) => [`plugin-template/${file}`, join(RuntimeAssetsPlugin.templates, file)]),
  ];

  apply(compiler) {
    compiler.hooks.thisCompilation.tap("RuntimeAssetsPlugin", (compilation) => {
      compilation.hooks.processAssets.tap({ name: "RuntimeAssetsPlugin", stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        for (const [name, source] of RuntimeAssetsPlugin.assets) {
          compilation.fileDependencies.add(source);
          compilation.emitAsset(name, new webpack.sources.RawSource(readFileSync(source)));
        }
      });
    });
  }
}

module.exports = {
  mode: "production",
  target: "node",
  entry: join(__dirname, "src/main.ts"),
  devtool: "source-map",
  output: {
    path: join(__dirname, "../../dist/apps/server"),
    filename: "main.js",
    clean: true,
    // A module that throws while loading (an optional require) must throw again when it is
    // required again, as Node's loader does, not return an empty exports object.
    strictModuleExceptionHandling: true,
  },
  optimization: {
    // Comments and white space dropped, names and code kept as written (no compression, no
    // mangling), non-ASCII characters escaped: a smaller, one-byte source that is faster to read.
    minimize: true,
    minimizeOptions: { javascript: { compress: false, mangle: false, format: { ascii_only: true, comments: false } } },
  },
  externalsPresets: { node: true },
  externals: [optionalMissing],
  resolve: {
    extensions: [".ts", ".js"],
    alias,
  },
  module: {
    parser: {
      javascript: {
        // require(variable) in packages (Nest's loadPackage fallbacks, Terminus's checkPackage,
        // Express's view engines) only ever names optional packages: an empty context makes such a
        // call fail with "Cannot find module", as it did for an uninstalled package.
        exprContextRegExp: /^$/,
        exprContextCritical: false,
        wrappedContextRegExp: /^$/,
        wrappedContextCritical: false,
        unknownContextCritical: false,
      },
    },
    rules: [
      {
        test: /\.ts$/,
        loader: "ts-loader",
        exclude: /node_modules/,
        options: {
          configFile: tsconfig,
          // Type checking is the typecheck target's job; here each file is only transpiled, and
          // the rootDir checks (TS5011, TS6059) concern tsc output layout, not a bundle.
          transpileOnly: true,
          ignoreDiagnostics: [5011, 6059],
        },
      },
    ],
  },
  plugins: [new CodeCachePlugin(), new RuntimeAssetsPlugin()],
  performance: { hints: false },
  stats: "errors-warnings",
};
