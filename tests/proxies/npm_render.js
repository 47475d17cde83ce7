// A proxy host's nginx config as Nginx Proxy Manager v2.12.6 renders it, for the tests: the
// templates are NPM's own (tests/proxies/npm_templates/, transcribed), the engine the liquidjs
// NPM's backend pins (backend/package.json:19, 10.6.1), and the steps those of
// backend/internal/nginx.js at v2.12.6, each followed here with its lines:
//
//   node npm_render.js <templates dir> <liquidjs main file>  < host.json  > <id>.conf
//
// host.json: the proxy host row as NPM reads it back after a create or update (the API's body
// plus its id, and the expanded `certificate` and `access_list` with its items and clients).
"use strict";

const fs = require("fs");
const path = require("path");

const [templates, liquidjs] = process.argv.slice(2);
const { Liquid } = require(liquidjs);
const host = JSON.parse(fs.readFileSync(0, "utf8"));

// backend/lib/utils.js:86-105 getRenderEngine: templates from backend/templates/, and the
// nginxAccessRule filter.
const engine = new Liquid({ root: templates });
engine.registerFilter("nginxAccessRule", (v) => {
  if (typeof v.directive !== "undefined" && typeof v.address !== "undefined" && v.directive && v.address) {
    return `${v.directive} ${v.address};`;
  }
  return "";
});
const read = (name) => fs.readFileSync(path.join(templates, name), { encoding: "utf8" });

async function renderLocations(host) {
  // :139-177: each location gets the host's settings, its own fields over them; a forward
  // host with a "/" is split into host and path.
  let rendered = "";
  for (const location of host.locations) {
    const copy = Object.assign(
      {},
      { access_list_id: host.access_list_id },
      { certificate_id: host.certificate_id },
      { ssl_forced: host.ssl_forced },
      { caching_enabled: host.caching_enabled },
      { block_exploits: host.block_exploits },
      { allow_websocket_upgrade: host.allow_websocket_upgrade },
      { http2_support: host.http2_support },
      { hsts_enabled: host.hsts_enabled },
      { hsts_subdomains: host.hsts_subdomains },
      { access_list: host.access_list },
      { certificate: host.certificate },
      location,
    );
    if (copy.forward_host.indexOf("/") > -1) {
      const splitted = copy.forward_host.split("/");
      copy.forward_host = splitted.shift();
      copy.forward_path = `/${splitted.join("/")}`;
    }
    rendered += await engine.parseAndRender(read("_location.conf"), copy);
  }
  return rendered;
}

async function generateConfig(host) {
  // :184-262 for a proxy host.
  host.use_default_location = true;
  if (typeof host.advanced_config !== "undefined" && host.advanced_config) {
    // :421-423 advancedConfigHasDefaultLocation
    host.use_default_location = !host.advanced_config.match(/^(?:.*;)?\s*?location\s*?\/\s*?{/im);
  }
  if (host.locations) {
    for (const location of host.locations) {
      if (location.path === "/") host.use_default_location = false;
    }
    host.locations = await renderLocations(host);
  }
  host.ipv6 = false; // :428-435 ipv6Enabled, with DISABLE_IPV6=true (tests/docker/npm_nginx.py)
  return engine.parseAndRender(read("proxy_host.conf"), host);
}

generateConfig(host).then(
  (text) => process.stdout.write(text),
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
