import { readFileSync } from 'node:fs';

/** Where service names are looked up, as getservbyname(3) and nc do. */
export const SERVICES_FILE = '/etc/services';

/**
 * Used only where the services file is missing (slim container images do not ship it): common names, with the
 * ports and aliases netbase's /etc/services gives them.
 */
export const BUILT_IN_SERVICES: Readonly<Record<string, number>> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, mail: 25, domain: 53, http: 80, www: 80, pop3: 110, imap2: 143, imap: 143,
  ldap: 389, https: 443, submission: 587, ldaps: 636, imaps: 993, pop3s: 995, 'ms-sql-s': 1433, mysql: 3306,
  postgresql: 5432, postgres: 5432, amqp: 5672, redis: 6379, 'http-alt': 8080, webcache: 8080,
};

/** The TCP services a file names: each name and alias to its port (the first entry wins, as getservbyname's). */
export function parseServices(text: string): Map<string, number> {
  const services = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, portProto, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const match = /^([0-9]+)\/tcp$/.exec(portProto ?? '');
    if (!match) continue;
    const port = Number(match[1]);
    if (!(port >= 1 && port <= 65535)) continue;
    for (const key of [name, ...aliases]) if (!services.has(key)) services.set(key, port);
  }
  return services;
}

/** The table names are looked up in, and where it came from (for messages). */
export interface ServiceTable {
  readonly ports: ReadonlyMap<string, number>;
  readonly source: string;
}

const loaded = new Map<string, ServiceTable>();

/**
 * The services file, read once per process when a name is first used; the built-in table where it is missing,
 * unreadable or names no TCP service (hidden by an empty file, as a test does with /dev/null).
 */
export function serviceTable(path: string = SERVICES_FILE): ServiceTable {
  let table = loaded.get(path);
  if (!table) {
    let ports: Map<string, number> | undefined;
    try {
      ports = parseServices(readFileSync(path, 'utf8'));
    } catch {
      // missing or unreadable: the built-in table stands in
    }
    table = ports?.size
      ? { ports, source: path }
      : { ports: new Map(Object.entries(BUILT_IN_SERVICES)), source: `built-in table; ${path} is missing or empty` };
    loaded.set(path, table);
  }
  return table;
}
