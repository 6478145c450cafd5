import type cassandra from "cassandra-driver";
import { SessionStore } from "./auth/session-store";
import { UserStore } from "./auth/user-store";
import { getCassandra } from "./cassandra/server";
import { TodoStore } from "./todos/todo-store";

export interface AppStores {
  users: UserStore;
  sessions: SessionStore;
  todos: TodoStore;
}

const storesByClient = new WeakMap<cassandra.Client, AppStores>();

/**
 * The app's stores on the process's Cassandra client. Throws
 * DatabaseUnavailableError while Cassandra is not connected.
 */
export function appStores(): AppStores {
  const client = getCassandra();
  let stores = storesByClient.get(client);
  if (!stores) {
    stores = { users: new UserStore(client), sessions: new SessionStore(client), todos: new TodoStore(client) };
    storesByClient.set(client, stores);
  }
  return stores;
}
