// pulumi-resource-docker is the resource plugin @pulumi/docker talks to. The two
// embedded files are pulumi-tfgen-docker's output for this same mapping;
// scripts/build-tools.sh generates them next to this file in the staged copy
// of the module (they are never in the work tree).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"atlas.local/tools/docker/mapping"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	mapping.RequireVersion()
	tfbridge.Main("docker", mapping.Version, mapping.Provider(metadata), schema)
}
