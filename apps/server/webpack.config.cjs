// Bundles the server and the workspace libraries into dist/apps/server/main.js. ts-loader keeps
// TypeScript's decorator metadata (Nest's DI needs it); node_modules stay external.
const { join } = require("node:path");
const nodeExternals = require("webpack-node-externals");

const root = join(__dirname, "../..");
const tsconfig = join(__dirname, "tsconfig.app.json");
// The workspace libraries, from the same `paths` the TypeScript compiler uses.
const { paths } = require("../../tsconfig.base.json").compilerOptions;
const alias = Object.fromEntries(
  Object.entries(paths).map(([name, [target]]) => [name, join(root, target)]),
);

module.exports = {
  mode: "production",
  target: "node",
  entry: join(__dirname, "src/main.ts"),
  devtool: "source-map",
  output: {
    path: join(__dirname, "../../dist/apps/server"),
    filename: "main.js",
    clean: true,
  },
  optimization: { minimize: false },
  externalsPresets: { node: true },
  externals: [
    nodeExternals({ modulesDir: join(__dirname, "../../node_modules") }),
  ],
  resolve: {
    extensions: [".ts", ".js"],
    alias,
  },
  module: {
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
  performance: { hints: false },
  stats: "errors-warnings",
};
