/*
 * The MLflow wire messages as the tests read them. Not validated: a test
 * casts a reply and asserts on the fields it reads. Every field is typed as
 * present (MLflow omits empty ones), so a field a test expects but the reply
 * lacks fails that test.
 */

export interface KeyValue {
  readonly key: string
  readonly value: string
}

export interface WireMetric {
  readonly key: string
  readonly value: number | string
  readonly timestamp: number
  readonly step: number
  readonly run_id: string
}

export interface WireExperiment {
  readonly experiment_id: string
  readonly name: string
  readonly lifecycle_stage: string
  readonly tags: ReadonlyArray<KeyValue>
}

export interface WireRunInfo {
  readonly run_id: string
  readonly run_name: string
  readonly status: string
  readonly lifecycle_stage: string
  readonly artifact_uri: string
}

export interface WireDatasetInput {
  readonly tags: ReadonlyArray<KeyValue>
  readonly dataset: { readonly name: string; readonly digest: string; readonly schema: string }
}

export interface WireRun {
  readonly info: WireRunInfo
  readonly data: {
    readonly metrics: ReadonlyArray<WireMetric>
    readonly params: ReadonlyArray<KeyValue>
    readonly tags: ReadonlyArray<KeyValue>
  }
  readonly inputs: { readonly dataset_inputs: ReadonlyArray<WireDatasetInput> }
  readonly outputs: { readonly model_outputs: ReadonlyArray<{ readonly model_id: string; readonly step: number }> }
}

export interface WireLoggedModel {
  readonly info: {
    readonly model_id: string
    readonly experiment_id: string
    readonly name: string
    readonly artifact_uri: string
    readonly status: string
    readonly model_type: string
    readonly source_run_id: string
    readonly tags: ReadonlyArray<KeyValue>
  }
  readonly data: {
    readonly params: ReadonlyArray<KeyValue>
    readonly metrics: ReadonlyArray<WireMetric & { readonly model_id: string; readonly dataset_name: string }>
  }
}

export interface WireModelVersion {
  readonly name: string
  readonly version: string
  readonly current_stage: string
  readonly description: string
  readonly tags: ReadonlyArray<KeyValue>
  readonly aliases: ReadonlyArray<string>
}

export interface WireRegisteredModel {
  readonly name: string
  readonly description: string
  readonly tags: ReadonlyArray<KeyValue>
}

export interface WireFile {
  readonly path: string
  readonly is_dir: boolean
  readonly file_size: number
}

/** Every reply field the tests read; each reply has only some of them. */
export interface Wire {
  readonly error_code: string
  readonly message: string
  readonly experiment_id: string
  readonly experiment: WireExperiment
  readonly experiments: ReadonlyArray<WireExperiment>
  readonly run: WireRun
  readonly runs: ReadonlyArray<WireRun>
  readonly run_info: WireRunInfo
  readonly metrics: ReadonlyArray<WireMetric>
  readonly next_page_token: string
  readonly registered_model: WireRegisteredModel
  readonly registered_models: ReadonlyArray<WireRegisteredModel>
  readonly model_version: WireModelVersion
  readonly model_versions: ReadonlyArray<WireModelVersion>
  readonly artifact_uri: string
  readonly root_uri: string
  readonly files: ReadonlyArray<WireFile>
  readonly model: WireLoggedModel
  readonly models: ReadonlyArray<WireLoggedModel>
}

/** A JSON reply as a {@link Wire} message. */
export const wire = (reply: { readonly json: unknown }): Wire => reply.json as Wire
