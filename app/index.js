/**
 * The Opsbook app: the stock JupyterLab 4 shell with the extensions listed in extensions.json.
 * All plugins go into one PluginRegistry; the service manager and connection status are resolved
 * from it (our plugins and JupyterLite's in-browser kernel plugins provide parts of them), then
 * JupyterLab starts. `.generated/imports.js` is written by webpack.config.js from extensions.json.
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { PluginRegistry } from '@lumino/coreutils';
import { extensions, mimeExtensions, disabled } from './.generated/imports.js';
import './.generated/style.js';
import './opsbook.css';

function isDisabled(id) {
  return (
    disabled.plugins.includes(id) ||
    disabled.patterns.some(p => id.includes(p)) ||
    PageConfig.Extension.isDisabled(id)
  );
}

/** The enabled plugins of an extension module (ES module default export or a plain array). */
function pluginsOf(module) {
  const value = module.default ?? module;
  return (Array.isArray(value) ? value : [value]).filter(p => !isDisabled(p.id));
}

async function main() {
  const [{ JupyterLab }, { IConnectionStatus }, { IServiceManager }] = await Promise.all([
    import('@jupyterlab/application'),
    import('@jupyterlab/application/lib/tokens.js'),
    import('@jupyterlab/services/lib/tokens.js')
  ]);
  const registry = new PluginRegistry();
  const plugins = (await Promise.all(extensions.map(load => load()))).flatMap(pluginsOf);
  registry.registerPlugins(plugins);
  const mimes = (await Promise.all(mimeExtensions.map(load => load()))).flatMap(pluginsOf);

  const lab = new JupyterLab({
    pluginRegistry: registry,
    serviceManager: await registry.resolveOptionalService(IServiceManager),
    connectionStatus: await registry.resolveOptionalService(IConnectionStatus),
    mimeExtensions: mimes,
    availablePlugins: plugins.map(p => ({
      id: p.id,
      description: p.description,
      requires: p.requires ?? [],
      optional: p.optional ?? [],
      provides: p.provides ?? null,
      autoStart: p.autoStart,
      enabled: true,
      extension: p.id.split(':')[0]
    }))
  });
  await lab.start({ bubblingKeydown: true });
  if ((PageConfig.getOption('exposeAppInBrowser') || '').toLowerCase() === 'true') {
    window.jupyterapp = lab;
  }
  await lab.restored;
  document.body.dataset.opsbookReady = 'true';
}

main().catch(error => {
  console.error('Opsbook failed to start', error);
  document.body.textContent = `Opsbook failed to start: ${error.message}`;
});
