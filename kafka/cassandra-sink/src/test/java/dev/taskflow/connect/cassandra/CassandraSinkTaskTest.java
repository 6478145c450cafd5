package dev.taskflow.connect.cassandra;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.connection.ClosedConnectionException;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.OverloadedException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.WriteType;
import com.datastax.oss.driver.api.core.metadata.Node;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.AbstractMap;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class CassandraSinkTaskTest {

  /** A stand-in node: the driver only uses it as a map key and in messages here. */
  private static Node node() {
    return (Node)
        Proxy.newProxyInstance(
            Node.class.getClassLoader(),
            new Class<?>[] {Node.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "hashCode" -> 1;
                  case "equals" -> proxy == args[0];
                  case "toString" -> "node1";
                  default -> null;
                });
  }

  @Test
  void transientDriverErrorsAreRetriable() {
    assertTrue(CassandraSinkTask.isTransient(new DriverTimeoutException("slow")));
    assertTrue(CassandraSinkTask.isTransient(
        new WriteTimeoutException(null, DefaultConsistencyLevel.LOCAL_ONE, 0, 1, WriteType.SIMPLE)));
    assertTrue(CassandraSinkTask.isTransient(
        new UnavailableException(null, DefaultConsistencyLevel.QUORUM, 2, 1)));
    assertTrue(CassandraSinkTask.isTransient(new OverloadedException(null)));
    assertTrue(CassandraSinkTask.isTransient(new ClosedConnectionException("gone")));
    assertTrue(CassandraSinkTask.isTransient(AllNodesFailedException.fromErrors(List.of())));
    // As delivered by a CompletionStage callback.
    assertTrue(CassandraSinkTask.isTransient(new CompletionException(new DriverTimeoutException("slow"))));
  }

  @Test
  void queryAndAuthenticationErrorsAreNot() {
    assertFalse(CassandraSinkTask.isTransient(new InvalidQueryException(null, "unconfigured table")));
    assertFalse(CassandraSinkTask.isTransient(new IllegalStateException("bug")));
    AuthenticationException refused =
        new AuthenticationException(
            new com.datastax.oss.driver.internal.core.metadata.DefaultEndPoint(
                new InetSocketAddress("127.0.0.1", 9042)),
            "bad credentials");
    assertFalse(CassandraSinkTask.isTransient(
        AllNodesFailedException.fromErrors(List.of(new AbstractMap.SimpleEntry<>(node(), refused)))));
  }
}
