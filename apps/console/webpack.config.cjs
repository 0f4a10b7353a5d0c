// Builds the operator console into dist/apps/console: console.js (Preact and uPlot bundled, no
// CDN), index.html, console.css and uPlot's stylesheet. The gateway serves these files at /console
// (apps/server/src/app/console/console-assets.ts).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const webpack = require('webpack');

const root = join(__dirname, '../..');

/** The files that are not JavaScript, emitted beside console.js as they are. */
class StaticFilesPlugin {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('StaticFilesPlugin', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'StaticFilesPlugin', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        const files = {
          'index.html': join(__dirname, 'src/index.html'),
          'console.css': join(__dirname, 'src/console.css'),
          'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
        };
        for (const [name, path] of Object.entries(files)) {
          compilation.fileDependencies.add(path);
          compilation.emitAsset(name, new webpack.sources.RawSource(readFileSync(path)));
        }
      });
    });
  }
}

module.exports = {
  mode: 'production',
  target: 'web',
  context: root,
  entry: join(__dirname, 'src/main.tsx'),
  output: { path: join(root, 'dist/apps/console'), filename: 'console.js', clean: true },
  devtool: false,
  resolve: { extensions: ['.tsx', '.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        loader: 'ts-loader',
        options: { configFile: join(__dirname, 'tsconfig.app.json'), onlyCompileBundledFiles: true },
      },
    ],
  },
  performance: { hints: false },
  plugins: [new StaticFilesPlugin()],
};
