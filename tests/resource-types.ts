/** The resource type tokens both suites look for in registrations and state. */
export const TYPE = {
  image: "docker-build:index:Image",
  index: "docker-build:index:Index",
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  dockerProvider: "pulumi:providers:docker",
  labToken: "pulumi-nodejs:dynamic/lab:Token",
  lab: "atlas:lab:JupyterLab",
} as const;
