// Package mapping presents the kreuzwerker Terraform provider for Docker as the
// Pulumi package "docker", with the tokens and property names the @pulumi/docker
// Node SDK (package.json pins its version) sends. It is ATLAS's own mapping:
// tokens are computed from the Terraform names, and only the entries below that
// the computed names would get wrong are spelled out.
package mapping

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"

	"github.com/terraform-providers/terraform-provider-docker/pulumiexport"
)

// Version is the plugin's version. scripts/build-tools.sh sets it at link time
// (-X) to the version @pulumi/docker declares, so that the engine, which asks a
// plugin for the version the SDK requested, accepts this one.
var Version string

// RequireVersion stops a binary that was linked without Version: the engine
// would refuse a plugin that reports none.
func RequireVersion() {
	if Version == "" {
		fmt.Fprintln(os.Stderr, "built without -ldflags -X atlas.local/tools/docker/mapping.Version=<version>")
		os.Exit(2)
	}
}

const (
	pkg = "docker"
	// Every @pulumi/docker resource and function sits in the one module "index".
	mod = "index"
)

// autoNamed are the resources whose Terraform `name` is required but which
// @pulumi/docker lets a program omit: Pulumi then derives it from the resource's
// logical name plus a random suffix, as it does for every auto-named resource.
// docker_image and docker_registry_image are left out on purpose: their name is
// an image reference, and a made-up one could only fail later, at the pull.
// docker_plugin likewise (its name is the plugin to install). docker_volume and
// docker_buildx_builder need nothing: their name is optional and computed.
var autoNamed = []string{"docker_container", "docker_network", "docker_secret", "docker_service", "docker_config"}

// Provider is the mapping. metadata is bridge-metadata.json as tfgen wrote it;
// tfgen itself passes nil and writes that file.
func Provider(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		// Upstream passes its version into the User-Agent it sends to the engine.
		P:           shimv2.NewProvider(pulumiexport.Provider(Version)),
		Name:        pkg,
		Version:     Version,
		DisplayName: "Docker",
		Description: "Docker containers, images, volumes and networks, through the kreuzwerker Terraform provider (built by ATLAS).",
		Keywords:    []string{"docker"},
		License:     "Apache-2.0",
		GitHubOrg:   "kreuzwerker",
		// Plans then show what the Terraform provider itself would plan
		// (computed attributes, defaults), not the bridge's approximation.
		EnableAccurateBridgePreview: true,
		MetadataInfo:                tfbridge.NewProviderMetadata(metadata),
		Config: map[string]*tfbridge.SchemaInfo{
			// The bridge names a list property in the plural (registry_auth →
			// registryAuths); the SDK kept these three singular, and a name the
			// schema lacks would never reach the provider.
			"registry_auth": {Name: "registryAuth"},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": {Fields: map[string]*tfbridge.SchemaInfo{
				"command":           {Name: "command"},
				"networks_advanced": {Name: "networksAdvanced"},
			}},
			// The SDK's "Image" is a resource of its own that builds images
			// (not served by this plugin); the Terraform resource that pulls an
			// image is "RemoteImage" there.
			"docker_image": {Tok: tfbridge.MakeResource(pkg, mod, "RemoteImage")},
			// "Config" would read as the package's configuration (the SDK's
			// `docker.config` namespace); the SDK calls the swarm config ServiceConfig.
			"docker_config": {Tok: tfbridge.MakeResource(pkg, mod, "ServiceConfig")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			// The data-source counterpart of RemoteImage.
			"docker_image": {Tok: tfbridge.MakeDataSource(pkg, mod, "getRemoteImage")},
		},
	}
	for _, tf := range autoNamed {
		r := info.Resources[tf]
		if r == nil {
			r = &tfbridge.ResourceInfo{}
			info.Resources[tf] = r
		}
		if r.Fields == nil {
			r.Fields = map[string]*tfbridge.SchemaInfo{}
		}
		// Docker allows long names; 255 keeps them printable in `docker ps`.
		r.Fields["name"] = tfbridge.AutoName("name", 255, "-")
	}
	// Everything else: docker_volume → docker:index/volume:Volume,
	// docker_network → docker:index/network:Network, data docker_logs →
	// docker:index/getLogs:getLogs, and so on.
	info.MustComputeTokens(tokens.SingleModule("docker_", mod, tokens.MakeStandard(pkg)))
	return info
}
