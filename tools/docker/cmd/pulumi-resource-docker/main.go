// pulumi-resource-docker is the resource plugin @pulumi/docker talks to. The two
// embedded files are pulumi-tfgen-docker's output for this same mapping;
// scripts/build-tools.sh generates them next to this file in the staged copy
// of the module (they are never in the work tree).
package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"atlas.local/tools/docker/mapping"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	if mapping.Version == "" {
		fmt.Fprintln(os.Stderr, "built without -ldflags -X atlas.local/tools/docker/mapping.Version=<version>")
		os.Exit(2)
	}
	tfbridge.Main("docker", mapping.Version, mapping.Provider(metadata), schema)
}
