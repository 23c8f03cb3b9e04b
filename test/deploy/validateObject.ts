import { BackendConfig } from '@kubernetes-models/gke/cloud.google.com/v1/BackendConfig';
import { ManagedCertificate } from '@kubernetes-models/gke/networking.gke.io/v1/ManagedCertificate';
import { FrontendConfig } from '@kubernetes-models/gke/networking.gke.io/v1beta1/FrontendConfig';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

import { PodMonitoringShape } from './PodMonitoringShape.js';
import type { RenderedObject } from './renderKustomize.js';

interface Validatable {
  validate(): void;
}

type ModelClass = new (data: never) => Validatable;

/**
 * The schema-checked model for each apiVersion/kind our manifests use. A
 * kind missing here fails validation, so a new kind of object cannot slip
 * into k8s/ unchecked.
 */
const MODELS: Readonly<Record<string, ModelClass>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'cloud.google.com/v1/BackendConfig': BackendConfig,
  'networking.gke.io/v1/ManagedCertificate': ManagedCertificate,
  'networking.gke.io/v1beta1/FrontendConfig': FrontendConfig,
  // No published model: a structural check written from its CRD.
  'monitoring.googleapis.com/v1/PodMonitoring': PodMonitoringShape,
};

/**
 * Validates one rendered object against the Kubernetes (or GKE CRD) OpenAPI
 * schema, or for PodMonitoring against PodMonitoringShape's rules. Throws the model's validation error, or an error naming a kind we
 * have no model for.
 */
export function validateObject(object: RenderedObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[key];
  if (Model === undefined) {
    throw new Error(`no schema model for ${key} (${object.metadata.name})`);
  }
  new Model(object as never).validate();
}
