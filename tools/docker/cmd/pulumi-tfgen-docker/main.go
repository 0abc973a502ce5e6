// pulumi-tfgen-docker writes the package schema and bridge metadata that
// pulumi-resource-docker embeds. scripts/build-tools.sh runs it as
//
//	pulumi-tfgen-docker schema --skip-examples --out cmd/pulumi-resource-docker
//
// in the staged copy of this module ($ATLAS_TOOLCHAIN_DIR/src/docker).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"atlas.local/tools/docker/mapping"
)

func main() {
	mapping.RequireVersion()
	info := mapping.Provider(nil)
	// Descriptions come from the staged upstream copy's docs/, never from a download.
	info.UpstreamRepoPath = "./upstream"
	tfgen.Main("docker", mapping.Version, info)
}
