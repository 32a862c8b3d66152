// Command ferretdb runs FerretDB's embeddable server (MongoDB wire protocol over SQLite or
// PostgreSQL) for local development, tests and the three-region simulation (tools/regions). It
// wraps the library instead of building FerretDB's own cmd/ferretdb, which panics when built
// outside FerretDB's repository (no version.txt).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "storage: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite directory URI, e.g. file:/tmp/db/ (handler sqlite)")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL URL, e.g. postgres://127.0.0.1:5432/ferretdb (handler postgresql)")
	flag.Parse()

	config := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Handler:  *handler,
	}
	switch *handler {
	case "sqlite":
		config.SQLiteURL = *sqliteURL
	case "postgresql":
		if *postgresqlURL == "" {
			usage("--postgresql-url is required with --handler=postgresql")
		}
		config.PostgreSQLURL = *postgresqlURL
	default:
		usage(fmt.Sprintf("--handler must be sqlite or postgresql, not %q", *handler))
	}

	f, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// usage reports a configuration error on one line and exits 2, like flag's own errors.
func usage(message string) {
	fmt.Fprintln(os.Stderr, "ferretdb:", message)
	os.Exit(2)
}
