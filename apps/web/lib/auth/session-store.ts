import cassandra from "cassandra-driver";
import { hashSessionToken, isWellFormedSessionToken, newSessionToken } from "./session-token";

const { consistencies } = cassandra.types;

/** Whose session a token opens. */
export interface Session {
  userId: string;
  email: string;
}

const INSERT_SESSION = "INSERT INTO taskflow.sessions (token_hash, user_id, email, created_at) VALUES (?, ?, ?, ?) USING TTL ?";
const SELECT_SESSION = "SELECT user_id, email FROM taskflow.sessions WHERE token_hash = ?";
const DELETE_SESSION = "DELETE FROM taskflow.sessions WHERE token_hash = ?";

/**
 * Sessions in `taskflow.sessions`, keyed by the SHA-256 of their token: the
 * token goes to the browser and nowhere else. Rows expire with the session
 * (TTL) and logout deletes them, so a session can always be revoked.
 * NOTE: LOCAL_QUORUM both ways, so a logout is seen by the next request
 * whichever replica serves it (with one node it is the same as LOCAL_ONE).
 */
export class SessionStore {
  readonly #client: cassandra.Client;

  constructor(client: cassandra.Client) {
    this.#client = client;
  }

  /** Opens a session for `userId` lasting `ttlSeconds`; returns its token (the cookie's value). */
  async create(input: { userId: string; email: string; ttlSeconds: number }): Promise<string> {
    const token = newSessionToken();
    await this.#client.execute(INSERT_SESSION, [hashSessionToken(token), input.userId, input.email, new Date(), input.ttlSeconds], {
      prepare: true,
      consistency: consistencies.localQuorum,
    });
    return token;
  }

  /** The live session `token` opens, or undefined (unknown, expired, revoked or malformed). */
  async find(token: string): Promise<Session | undefined> {
    if (!isWellFormedSessionToken(token)) return undefined;
    const result = await this.#client.execute(SELECT_SESSION, [hashSessionToken(token)], {
      prepare: true,
      consistency: consistencies.localQuorum,
    });
    const row = result.first();
    if (!row) return undefined;
    return { userId: String(row.get("user_id")), email: row.get("email") as string };
  }

  /** Ends the session of `token`; revoking an unknown token is not an error. */
  async revoke(token: string): Promise<void> {
    if (!isWellFormedSessionToken(token)) return;
    await this.#client.execute(DELETE_SESSION, [hashSessionToken(token)], { prepare: true, consistency: consistencies.localQuorum });
  }
}
